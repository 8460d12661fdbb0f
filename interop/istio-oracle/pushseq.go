package main

import (
	"context"
	"fmt"
	"net"
	"sort"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
)

// pushStep is one response Istio pushed after a config change: its type and the names it carried.
type pushStep struct {
	Type  string   `json:"type"`
	Names []string `json:"names"`
}

const (
	pushQuiet    = 1500 * time.Millisecond
	pushMaxSteps = 20
)

// pushSequence connects one Envoy probe as Envoy starts (CDS wildcard, then EDS for its EDS clusters, each
// acknowledged), creates `updates` in Istio's config store (the fake server pushes on store events, after its
// debounce) and records what Istio pushes until it is quiet for pushQuiet, acknowledging each response. The probe
// does not re-request EDS itself: the sequence is what the server decides to send.
func pushSequence(ctx context.Context, server *xds.FakeDiscoveryServer, spec probeSpec, updates []config.Config) ([]pushStep, error) {
	node, err := spec.envoyNode()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := grpc.NewClient("passthrough:///istio-oracle",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return server.BufListener.DialContext(ctx)
		}))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	p := &adsProbe{node: node, stream: stream, recv: make(chan *discovery.DiscoveryResponse, 16), recvErr: make(chan error, 1)}
	go p.receive()
	resources, err := p.ask(v3.ClusterType, nil)
	if err != nil {
		return nil, err
	}
	clusters, err := unpackAll(resources, func() *cluster.Cluster { return &cluster.Cluster{} })
	if err != nil {
		return nil, err
	}
	eds := edsNames(clusters)
	if _, err := p.ask(v3.EndpointType, eds); err != nil {
		return nil, err
	}
	// Drain what Istio still sends for the initial subscription.
	if _, err := p.collect(eds, pushQuiet); err != nil {
		return nil, err
	}
	for _, c := range updates {
		if _, err := server.Store().Create(c); err != nil {
			return nil, fmt.Errorf("cannot create %s %s/%s in Istio's store: %v", c.GroupVersionKind.Kind, c.Namespace, c.Name, err)
		}
	}
	return p.collect(eds, pushQuiet)
}

// collect acknowledges and records responses until none arrives for `quiet` (at most pushMaxSteps).
func (p *adsProbe) collect(eds []string, quiet time.Duration) ([]pushStep, error) {
	steps := []pushStep{}
	for len(steps) < pushMaxSteps {
		select {
		case res := <-p.recv:
			ack := &discovery.DiscoveryRequest{TypeUrl: res.TypeUrl, ResponseNonce: res.Nonce, VersionInfo: res.VersionInfo}
			if res.TypeUrl == v3.EndpointType {
				ack.ResourceNames = eds
			}
			if err := p.stream.Send(ack); err != nil {
				return nil, err
			}
			names, err := resourceNames(res.Resources)
			if err != nil {
				return nil, err
			}
			steps = append(steps, pushStep{Type: res.TypeUrl, Names: names})
		case err := <-p.recvErr:
			return nil, fmt.Errorf("Istio closed the stream: %v", err)
		case <-time.After(quiet):
			return steps, nil
		}
	}
	return nil, fmt.Errorf("more than %d responses without a pause of %s", pushMaxSteps, quiet)
}

func resourceNames(resources []*anypb.Any) ([]string, error) {
	names := []string{}
	for _, r := range resources {
		var name string
		switch r.TypeUrl {
		case v3.ClusterType:
			c := &cluster.Cluster{}
			if err := r.UnmarshalTo(c); err != nil {
				return nil, err
			}
			name = c.Name
		case v3.EndpointType:
			c := &endpoint.ClusterLoadAssignment{}
			if err := r.UnmarshalTo(c); err != nil {
				return nil, err
			}
			name = c.ClusterName
		case v3.ListenerType:
			c := &listener.Listener{}
			if err := r.UnmarshalTo(c); err != nil {
				return nil, err
			}
			name = c.Name
		case v3.RouteType:
			c := &route.RouteConfiguration{}
			if err := r.UnmarshalTo(c); err != nil {
				return nil, err
			}
			name = c.Name
		default:
			name = "?" + r.TypeUrl
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
