#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v3 v3.21.4, Kubernetes modules held at the project's v0.36.1, see go.mod) from the
# Go module proxy, once per machine, for the chart tests (e2e/helm-chart.test.ts renders and lints deploy/helm/
# with it and applies the result to a real kube-apiserver).
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
harness_begin helm "$(go version)"
if harness_is_built; then
  harness_done
  exit 0
fi
mkdir -p "$HARNESS_OUT/bin"
version_flags="-X helm.sh/helm/v3/internal/version.version=v3.21.4 -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
start=$(date +%s)
go build -trimpath -ldflags="-s -w $version_flags" -o "$HARNESS_OUT/bin/helm" helm.sh/helm/v3/cmd/helm
echo "helm built in $(($(date +%s) - start)) s"
"$HARNESS_OUT/bin/helm" version --short
harness_done
