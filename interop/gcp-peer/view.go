package main

import (
	"fmt"
	"os"
	"path/filepath"

	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	// Clusters are unmarshalled by type URL; their packed configs stay bytes, as sent.
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// view is one proxy view's resources as meshpilot sent them: its CDS as typed Clusters, its EDS as
// typed ClusterLoadAssignments, and the bytes of each ClusterLoadAssignment to derive changed versions.
type view struct {
	key          string
	clusters     []types.Resource
	clusterWire  [][]byte
	endpoints    map[string]types.Resource
	endpointWire map[string][]byte
}

func readView(dir, key string, cdsFiles, edsFiles []string) (*view, error) {
	v := &view{key: key, endpoints: map[string]types.Resource{}, endpointWire: map[string][]byte{}}
	for _, file := range cdsFiles {
		anys, err := readResponse(filepath.Join(dir, file), resource.ClusterType)
		if err != nil {
			return nil, err
		}
		for _, a := range anys {
			m, err := a.UnmarshalNew()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			v.clusters = append(v.clusters, m)
			v.clusterWire = append(v.clusterWire, a.GetValue())
		}
	}
	for _, file := range edsFiles {
		anys, err := readResponse(filepath.Join(dir, file), resource.EndpointType)
		if err != nil {
			return nil, err
		}
		for _, a := range anys {
			cla := &endpoint.ClusterLoadAssignment{}
			if err := proto.Unmarshal(a.GetValue(), cla); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			v.endpoints[cla.GetClusterName()] = cla
			v.endpointWire[cla.GetClusterName()] = a.GetValue()
		}
	}
	if len(v.clusters) == 0 || len(v.endpoints) == 0 {
		return nil, fmt.Errorf("recording has %d clusters and %d endpoint assignments; want both", len(v.clusters), len(v.endpoints))
	}
	return v, nil
}

func readResponse(path, typeURL string) ([]*anypb.Any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	response := &discovery.DiscoveryResponse{}
	if err := proto.Unmarshal(raw, response); err != nil {
		return nil, fmt.Errorf("%s: not a DiscoveryResponse: %w", path, err)
	}
	if response.GetTypeUrl() != typeURL {
		return nil, fmt.Errorf("%s: type %s, want %s", path, response.GetTypeUrl(), typeURL)
	}
	return response.GetResources(), nil
}

// changedClusters is the view's full CDS with cluster generation % len carrying field 1000 = generation
// (a new version of one cluster, the same size ± a few bytes); the other clusters are shared, unchanged.
func (v *view) changedClusters(generation uint64) ([]types.Resource, error) {
	i := int(generation % uint64(len(v.clusters)))
	changed := protowire.AppendVarint(protowire.AppendTag(append([]byte(nil), v.clusterWire[i]...), 1000, protowire.VarintType), generation)
	c := &cluster.Cluster{}
	if err := proto.Unmarshal(changed, c); err != nil {
		return nil, fmt.Errorf("changed cluster %d: %w", i, err)
	}
	clusters := append([]types.Resource(nil), v.clusters...)
	clusters[i] = c
	return clusters, nil
}

// changedEndpoints is a new version of the named ClusterLoadAssignment: its recorded bytes with field
// 1000 (unknown to Envoy, kept by the Go types) carrying the generation; nil when the view has no such resource.
func (v *view) changedEndpoints(name string, generation uint64) (types.Resource, error) {
	wire, ok := v.endpointWire[name]
	if !ok {
		return nil, nil
	}
	changed := protowire.AppendVarint(protowire.AppendTag(append([]byte(nil), wire...), 1000, protowire.VarintType), generation)
	cla := &endpoint.ClusterLoadAssignment{}
	if err := proto.Unmarshal(changed, cla); err != nil {
		return nil, fmt.Errorf("changed %s: %w", name, err)
	}
	return cla, nil
}
