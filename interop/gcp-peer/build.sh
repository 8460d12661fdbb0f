#!/usr/bin/env bash
# gcp-peer: an ADS server on go-control-plane's SnapshotCache (CDS) and LinearCache (EDS), the bench's
# peer (github.com/envoyproxy/go-control-plane v0.14.0, go-control-plane/envoy and grpc as in Istio's
# go.mod), built once per machine into the harness cache: $HARNESS_OUT/bin/gcp-peer.
source "$(dirname "$0")/../lib.sh"
harness_begin gcp-peer "$(go version)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mkdir -p "$HARNESS_OUT/bin"
go build -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/bin/gcp-peer" .
harness_done
