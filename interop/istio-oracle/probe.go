package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	dnsProto "istio.io/istio/pkg/dns/proto"
)

// probeSpec is one entry of probes.json: a proxy described the way it describes itself to istiod.
type probeSpec struct {
	Name string `json:"name"`
	Node struct {
		ID       string         `json:"id"`
		Metadata map[string]any `json:"metadata"`
		Locality *struct {
			Region  string `json:"region"`
			Zone    string `json:"zone"`
			SubZone string `json:"sub_zone"`
		} `json:"locality"`
	} `json:"node"`
}

// probeResult is what Istio sent the probe: each resource as canonical proto3 JSON, sorted by name.
type probeResult struct {
	CDS    []json.RawMessage `json:"cds"`
	EDS    []json.RawMessage `json:"eds"`
	LDS    []json.RawMessage `json:"lds"`
	RDS    []json.RawMessage `json:"rds"`
	NDS    json.RawMessage   `json:"nds"`
	Errors []string          `json:"errors"`
}

const responseTimeout = 10 * time.Second

// adsProbe is one proxy's ADS stream (state of the world) to Istio's discovery server, in memory.
type adsProbe struct {
	node    *core.Node
	stream  discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	recv    chan *discovery.DiscoveryResponse
	recvErr chan error
	sent    bool
}

func (p *probeSpec) envoyNode() (*core.Node, error) {
	meta := p.Node.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	st, err := structpb.NewStruct(meta)
	if err != nil {
		return nil, fmt.Errorf("node.metadata: %v", err)
	}
	node := &core.Node{Id: p.Node.ID, Metadata: st}
	if l := p.Node.Locality; l != nil {
		node.Locality = &core.Locality{Region: l.Region, Zone: l.Zone, SubZone: l.SubZone}
	}
	return node, nil
}

// runProbe connects the probe to Istio and asks for what a real proxy asks for: Envoy (CDS, the EDS of its
// EDS clusters, LDS, the RDS its listeners name, NDS as istio-agent does); a proxyless gRPC client
// (GENERATOR=grpc: every outbound listener, the routes they name, the clusters those routes name, their EDS).
func runProbe(ctx context.Context, server *xds.FakeDiscoveryServer, spec probeSpec) probeResult {
	result := probeResult{CDS: []json.RawMessage{}, EDS: []json.RawMessage{}, LDS: []json.RawMessage{}, RDS: []json.RawMessage{}, Errors: []string{}}
	fail := func(format string, args ...any) probeResult {
		result.Errors = append(result.Errors, fmt.Sprintf(format, args...))
		return result
	}
	if spec.Node.ID == "" {
		return fail("node.id: required")
	}
	node, err := spec.envoyNode()
	if err != nil {
		return fail("%v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, err := grpc.NewClient("passthrough:///istio-oracle",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return server.BufListener.DialContext(ctx)
		}))
	if err != nil {
		return fail("cannot connect to Istio's discovery server: %v", err)
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return fail("cannot open the ADS stream: %v", err)
	}
	p := &adsProbe{node: node, stream: stream, recv: make(chan *discovery.DiscoveryResponse, 16), recvErr: make(chan error, 1)}
	go p.receive()

	grpcClient := false
	if g, ok := spec.Node.Metadata["GENERATOR"].(string); ok && g == "grpc" {
		grpcClient = true
	}
	if grpcClient {
		err = p.proxyless(&result)
	} else {
		err = p.envoy(&result)
	}
	if err != nil {
		result.Errors = append(result.Errors, err.Error())
	}
	return result
}

func (p *adsProbe) receive() {
	for {
		res, err := p.stream.Recv()
		if err != nil {
			p.recvErr <- err
			return
		}
		p.recv <- res
	}
}

// ask sends one request (the node goes with the first) and returns the response of that type; responses
// of other types that Istio pushes meanwhile are acknowledged and dropped.
func (p *adsProbe) ask(typeURL string, names []string) ([]*anypb.Any, error) {
	req := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names}
	if !p.sent {
		req.Node = p.node
		p.sent = true
	}
	if err := p.stream.Send(req); err != nil {
		return nil, fmt.Errorf("%s request: %v", v3.GetShortType(typeURL), err)
	}
	timer := time.NewTimer(responseTimeout)
	defer timer.Stop()
	for {
		select {
		case res := <-p.recv:
			// Acknowledge, as a proxy does, so that Istio does not count the probe as stale.
			ack := &discovery.DiscoveryRequest{TypeUrl: res.TypeUrl, ResponseNonce: res.Nonce, VersionInfo: res.VersionInfo}
			if res.TypeUrl == typeURL {
				ack.ResourceNames = names
			}
			if err := p.stream.Send(ack); err != nil {
				return nil, fmt.Errorf("%s ack: %v", v3.GetShortType(res.TypeUrl), err)
			}
			if res.TypeUrl == typeURL {
				return res.Resources, nil
			}
		case err := <-p.recvErr:
			return nil, fmt.Errorf("Istio closed the stream while the probe waited for %s: %v", v3.GetShortType(typeURL), err)
		case <-timer.C:
			return nil, fmt.Errorf("no %s response from Istio within %s", v3.GetShortType(typeURL), responseTimeout)
		}
	}
}

func (p *adsProbe) envoy(result *probeResult) error {
	cds, err := p.ask(v3.ClusterType, nil)
	if err != nil {
		return err
	}
	clusters, err := unpackAll[*cluster.Cluster](cds, func() *cluster.Cluster { return &cluster.Cluster{} })
	if err != nil {
		return err
	}
	if result.CDS, err = render(clusters, func(c *cluster.Cluster) string { return c.Name }); err != nil {
		return err
	}
	if err := p.endpoints(result, edsNames(clusters)); err != nil {
		return err
	}
	lds, err := p.ask(v3.ListenerType, nil)
	if err != nil {
		return err
	}
	listeners, err := unpackAll[*listener.Listener](lds, func() *listener.Listener { return &listener.Listener{} })
	if err != nil {
		return err
	}
	if result.LDS, err = render(listeners, func(l *listener.Listener) string { return l.Name }); err != nil {
		return err
	}
	if _, err := p.routes(result, routeNames(listeners)); err != nil {
		return err
	}
	nds, err := p.ask(v3.NameTableType, nil)
	if err != nil {
		return err
	}
	if len(nds) > 0 {
		table := &dnsProto.NameTable{}
		if err := nds[0].UnmarshalTo(table); err != nil {
			return fmt.Errorf("cannot read the NDS resource: %v", err)
		}
		// Istio lists a headless service's addresses in endpoint-shard (Go map) order, which changes from
		// run to run; a DNS answer is a set, so the oracle sorts them.
		for _, info := range table.Table {
			sort.Strings(info.Ips)
		}
		if result.NDS, err = canonical(table); err != nil {
			return err
		}
	}
	return nil
}

func (p *adsProbe) proxyless(result *probeResult) error {
	lds, err := p.ask(v3.ListenerType, nil)
	if err != nil {
		return err
	}
	listeners, err := unpackAll[*listener.Listener](lds, func() *listener.Listener { return &listener.Listener{} })
	if err != nil {
		return err
	}
	if result.LDS, err = render(listeners, func(l *listener.Listener) string { return l.Name }); err != nil {
		return err
	}
	routes, err := p.routes(result, routeNames(listeners))
	if err != nil {
		return err
	}
	names := routeClusterNames(routes)
	if len(names) == 0 {
		return nil
	}
	cds, err := p.ask(v3.ClusterType, names)
	if err != nil {
		return err
	}
	clusters, err := unpackAll[*cluster.Cluster](cds, func() *cluster.Cluster { return &cluster.Cluster{} })
	if err != nil {
		return err
	}
	if result.CDS, err = render(clusters, func(c *cluster.Cluster) string { return c.Name }); err != nil {
		return err
	}
	return p.endpoints(result, edsNames(clusters))
}

func (p *adsProbe) endpoints(result *probeResult, names []string) error {
	if len(names) == 0 {
		return nil
	}
	eds, err := p.ask(v3.EndpointType, names)
	if err != nil {
		return err
	}
	las, err := unpackAll[*endpoint.ClusterLoadAssignment](eds, func() *endpoint.ClusterLoadAssignment { return &endpoint.ClusterLoadAssignment{} })
	if err != nil {
		return err
	}
	result.EDS, err = render(las, func(a *endpoint.ClusterLoadAssignment) string { return a.ClusterName })
	return err
}

func (p *adsProbe) routes(result *probeResult, names []string) ([]*route.RouteConfiguration, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rds, err := p.ask(v3.RouteType, names)
	if err != nil {
		return nil, err
	}
	routes, err := unpackAll[*route.RouteConfiguration](rds, func() *route.RouteConfiguration { return &route.RouteConfiguration{} })
	if err != nil {
		return nil, err
	}
	result.RDS, err = render(routes, func(r *route.RouteConfiguration) string { return r.Name })
	return routes, err
}

func unpackAll[T proto.Message](resources []*anypb.Any, newT func() T) ([]T, error) {
	out := make([]T, 0, len(resources))
	for _, r := range resources {
		m := newT()
		if err := r.UnmarshalTo(m); err != nil {
			return nil, fmt.Errorf("cannot read a %s resource: %v", r.TypeUrl, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// edsNames are the EDS service names of the EDS clusters, sorted: what Envoy asks EDS for.
func edsNames(clusters []*cluster.Cluster) []string {
	set := map[string]bool{}
	for _, c := range clusters {
		if c.GetType() != cluster.Cluster_EDS {
			continue
		}
		name := c.GetEdsClusterConfig().GetServiceName()
		if name == "" {
			name = c.Name
		}
		set[name] = true
	}
	return sortedKeys(set)
}

// routeNames are the RouteConfiguration names the listeners' HTTP connection managers ask RDS for, sorted.
func routeNames(listeners []*listener.Listener) []string {
	set := map[string]bool{}
	addHcm := func(a *anypb.Any) {
		if a == nil || a.TypeUrl != "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager" {
			return
		}
		h := &hcm.HttpConnectionManager{}
		if err := a.UnmarshalTo(h); err != nil {
			return
		}
		if rds := h.GetRds(); rds != nil && rds.RouteConfigName != "" {
			set[rds.RouteConfigName] = true
		}
	}
	addChain := func(fc *listener.FilterChain) {
		if fc == nil {
			return
		}
		for _, f := range fc.Filters {
			addHcm(f.GetTypedConfig())
		}
	}
	for _, l := range listeners {
		addHcm(l.GetApiListener().GetApiListener())
		for _, fc := range l.FilterChains {
			addChain(fc)
		}
		addChain(l.DefaultFilterChain)
	}
	return sortedKeys(set)
}

// routeClusterNames are the clusters the routes send to, sorted: what a gRPC client asks CDS for.
func routeClusterNames(routes []*route.RouteConfiguration) []string {
	set := map[string]bool{}
	for _, rc := range routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				action := r.GetRoute()
				if action == nil {
					continue
				}
				if c := action.GetCluster(); c != "" {
					set[c] = true
				}
				for _, wc := range action.GetWeightedClusters().GetClusters() {
					set[wc.Name] = true
				}
			}
		}
	}
	return sortedKeys(set)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
