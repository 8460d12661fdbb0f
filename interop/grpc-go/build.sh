#!/usr/bin/env bash
# grpc-go xDS interop client and xDS-enabled server (google.golang.org/grpc v1.82.0, as Istio's go.mod), built once
# per machine into the harness cache: $HARNESS_OUT/bin/{client,server}.
source "$(dirname "$0")/../lib.sh"
harness_begin grpc-go "$(go version)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mkdir -p "$HARNESS_OUT/bin"
go build -trimpath -ldflags='-s -w' -o "$HARNESS_OUT/bin/" ./client ./server
harness_done
