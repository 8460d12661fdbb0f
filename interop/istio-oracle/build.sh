#!/usr/bin/env bash
# Builds istio-oracle (Istio's own pilot, in process, as the judge of meshpilot's output) once per machine
# into the harness cache; see interop/lib.sh. Only this one binary is built: Istio is large.
source "$(dirname "$0")/../lib.sh"
harness_begin istio-oracle "$(go version)"
if harness_is_built; then
  harness_done
  exit 0
fi
cd "$REPO_ROOT/interop/istio-oracle"
mkdir -p "$HARNESS_OUT"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/istio-oracle" .
harness_done
