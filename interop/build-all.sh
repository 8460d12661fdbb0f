#!/usr/bin/env bash
# Builds (or finds already built) every harness under interop/: the Go, Java and Python programs that bring
# Istio's pilot, real kube-apiservers and other gRPC xDS clients into `npm test`. Each build is cached per
# machine (see lib.sh), so a warm run costs a hash per harness.
set -euo pipefail
cd "$(dirname "$0")"
for script in */build.sh; do
  [ -e "$script" ] || continue
  name="$(dirname "$script")"
  start=$(date +%s)
  if ! bash "$script" > "/tmp/meshpilot-harness-$name.log" 2>&1; then
    echo "harness $name: build failed; last lines of /tmp/meshpilot-harness-$name.log:" >&2
    tail -n 40 "/tmp/meshpilot-harness-$name.log" >&2
    exit 1
  fi
  echo "harness $name ready in $(($(date +%s) - start)) s"
done
