#!/usr/bin/env bash
# Builds Istio's own istioctl (istio.io/istio/istioctl/cmd/istioctl at the pinned Istio version, the `tool`
# of go.mod) once per machine into the harness cache; see interop/lib.sh. The module versions are those of
# interop/istio-oracle, so both builds share GOMODCACHE and GOCACHE.
source "$(dirname "$0")/../lib.sh"
harness_begin istioctl "$(go version)"
if harness_is_built; then
  harness_done
  exit 0
fi
cd "$REPO_ROOT/interop/istioctl"
mkdir -p "$HARNESS_OUT"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/istioctl" istio.io/istio/istioctl/cmd/istioctl
# The kubelet's port-forward alone (k8s.io/cri-streaming), so istioctl's port-forwards through a real
# kube-apiserver reach loopback targets (see kubelet/main.go).
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/kubelet-portforward" ./kubelet
harness_done
