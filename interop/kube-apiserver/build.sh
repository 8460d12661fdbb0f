#!/usr/bin/env bash
# Builds kube-apiserver (k8s.io/kubernetes v1.36.1) and etcd (go.etcd.io/etcd/server/v3 v3.6.8, the release
# kube-apiserver 1.36.1 is built against) from the Go module proxy, once per machine, for the real-API-server
# e2e tests (e2e/support/real-kube-cluster.ts). Also records where Istio's CRD manifest lies in the Go module
# cache (istio.io/istio at the project's pinned version), so the tests install Istio's own CRDs.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
ISTIO_MODULE='istio.io/istio@v0.0.0-20260827124520-eed52ebb66ad'
KUBE_VERSION='v1.36.1'
harness_begin kube-apiserver "$(go version)" "$ISTIO_MODULE" "$KUBE_VERSION"
if harness_is_built; then
  harness_done
  exit 0
fi
mkdir -p "$HARNESS_OUT/bin"
version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1"
version_flags+=" -X k8s.io/component-base/version.gitMinor=36 -X k8s.io/component-base/version.gitTreeState=clean"
start=$(date +%s)
go build -trimpath -ldflags="-s -w $version_flags" -o "$HARNESS_OUT/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
echo "kube-apiserver built in $(($(date +%s) - start)) s"
start=$(date +%s)
go build -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/bin/etcd" ./etcd
echo "etcd built in $(($(date +%s) - start)) s"
# The module is only read (its CRD manifest); `go mod download` outside any module leaves go.mod alone.
istio_dir="$(cd "$(mktemp -d)" && go mod download -json "$ISTIO_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
crds="$istio_dir/manifests/charts/base/files/crd-all.gen.yaml"
if [ ! -f "$crds" ]; then
  echo "Istio's CRD manifest is not at $crds" >&2
  exit 1
fi
echo "$crds" > "$HARNESS_OUT/istio-crds.path"
harness_done
