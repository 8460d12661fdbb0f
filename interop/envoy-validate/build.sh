#!/usr/bin/env bash
# envoy-validate: go-control-plane's generated Envoy types with their protoc-gen-validate validators and
# grpc-go's xDS resource decoders (go-control-plane/envoy and grpc v1.82.0 as in Istio's go.mod), built once
# per machine into the harness cache: $HARNESS_OUT/bin/envoy-validate.
source "$(dirname "$0")/../lib.sh"
harness_begin envoy-validate "$(go version)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mkdir -p "$HARNESS_OUT/bin"
go build -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/bin/envoy-validate" .
harness_done
