package main

import "google.golang.org/grpc"

func grpcVersion() string { return grpc.Version }
