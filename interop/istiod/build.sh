#!/usr/bin/env bash
# istiod itself, pilot-discovery, built from istio.io/istio at the pinned version (go.mod's `tool` line, through the
# Go module proxy; no Istio code in this repository): $HARNESS_OUT/pilot-discovery. The bench's istiod peer
# (bench/peers/istiod.ts) runs it against real API servers. Its module graph is interop/pilot-agent's (itself
# interop/istio-oracle's plus what the binaries add), so the Go module and build caches are shared.
source "$(dirname "$0")/../lib.sh"
harness_begin istiod "$(go version)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mkdir -p "$HARNESS_OUT"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/pilot-discovery" istio.io/istio/pilot/cmd/pilot-discovery
harness_done
