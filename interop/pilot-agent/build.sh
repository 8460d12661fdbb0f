#!/usr/bin/env bash
# Istio's own agent, pilot-agent, built from istio.io/istio at the pinned version (go.mod's `tool` line, through the
# Go module proxy; no Istio code in this repository): $HARNESS_OUT/pilot-agent. Its module graph is
# interop/istio-oracle's plus what the agent adds, so the Go module and build caches are shared with that harness.
source "$(dirname "$0")/../lib.sh"
harness_begin pilot-agent "$(go version)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mkdir -p "$HARNESS_OUT"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/pilot-agent" istio.io/istio/pilot/cmd/pilot-agent
harness_done
