#!/usr/bin/env bash
# Builds istio-injector (Istio's own sidecar injector, pkg/kube/inject, in process, with the istio-discovery
# chart of the pinned Istio rendered for meshpilot's settings) once per machine into the harness cache; see
# interop/lib.sh. Module versions and go.sum pins are those of interop/istio-oracle (same istio.io/istio),
# so both builds share GOMODCACHE and GOCACHE.
source "$(dirname "$0")/../lib.sh"
harness_begin istio-injector "$(go version)"
if harness_is_built; then
  harness_done
  exit 0
fi
cd "$REPO_ROOT/interop/istio-injector"
mkdir -p "$HARNESS_OUT"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/istio-injector" .
harness_done
