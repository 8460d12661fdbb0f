package main

import (
	"fmt"
	"time"

	_ "google.golang.org/grpc/xds" // registers grpc-go's xDS HTTP filters, LB policies and certificate provider plugins

	istats "google.golang.org/grpc/internal/stats"
	"google.golang.org/grpc/internal/xds/bootstrap"
	clientsxds "google.golang.org/grpc/internal/xds/clients/xdsclient"
	grpcxdsclient "google.golang.org/grpc/internal/xds/xdsclient"
	"google.golang.org/protobuf/types/known/anypb"
)

// grpcParsers are the decoders grpc-go's xDS client runs on every resource it receives (the
// resource types of its xDS client config, built from a bootstrap as grpc-go builds them): each
// unmarshals the resource and validates it the way grpc-go does before it accepts or NACKs it.
type grpcParsers struct {
	config clientsxds.Config
}

func newGrpcParsers(bootstrapJSON []byte) (*grpcParsers, error) {
	bc, err := bootstrap.NewConfigFromContents(bootstrapJSON)
	if err != nil {
		return nil, fmt.Errorf("grpc bootstrap: %w", err)
	}
	config, err := grpcxdsclient.BuildXDSClientConfig(bc, istats.NewMetricsRecorderList(nil), "envoy-validate", 15*time.Second)
	if err != nil {
		return nil, fmt.Errorf("grpc xDS client config: %w", err)
	}
	if len(config.Servers) == 0 {
		return nil, fmt.Errorf("grpc bootstrap has no xds_servers")
	}
	return &grpcParsers{config: config}, nil
}

// applies says whether grpc-go has a parser for the type (LDS, RDS, CDS, EDS).
func (p *grpcParsers) applies(typeURL string) bool {
	_, ok := p.config.ResourceTypes[typeURL]
	return ok
}

// parse returns the name grpc-go decoded and its error (nil: grpc-go would accept the resource).
func (p *grpcParsers) parse(a *anypb.Any) (string, error) {
	rt := p.config.ResourceTypes[a.GetTypeUrl()]
	result, err := rt.Decoder.Decode(clientsxds.NewAnyProto(a), clientsxds.DecodeOptions{
		Config:       &p.config,
		ServerConfig: &p.config.Servers[0],
	})
	name := ""
	if result != nil {
		name = result.Name
	}
	return name, err
}
