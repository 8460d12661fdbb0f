package main

import (
	"fmt"
	"time"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/serviceregistry"
	"istio.io/istio/pilot/pkg/serviceregistry/aggregate"
	"istio.io/istio/pilot/pkg/serviceregistry/provider"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/test/util/retry"
)

// orderRegistries puts the kube registries in meshpilot.yaml's order, as istiod has them (its own
// config cluster first, then the remote clusters as they were added), and recomputes the push context.
// Istio's test server adds them in Go map order, which would make every answer that depends on which kube
// cluster's Service comes first (a merged Service's VIP, NDS address order, ...) change from run to run.
func orderRegistries(server *xds.FakeDiscoveryServer, clusters []kubeCluster) error {
	agg, ok := server.Registry.(*aggregate.Controller)
	if !ok {
		return fmt.Errorf("Istio's test server has no aggregate service registry (got %T)", server.Registry)
	}
	byCluster := map[cluster.ID]serviceregistry.Instance{}
	for _, r := range agg.GetRegistries() {
		if r.Provider() == provider.Kubernetes {
			byCluster[r.Cluster()] = r
		}
	}
	for _, c := range clusters {
		if _, ok := byCluster[cluster.ID(c.Name)]; !ok {
			return fmt.Errorf("Istio's test server has no kube registry for kube cluster %s", c.Name)
		}
		agg.DeleteRegistry(cluster.ID(c.Name), provider.Kubernetes)
	}
	for _, r := range agg.GetRegistries() {
		if r.Provider() == provider.Kubernetes {
			return fmt.Errorf("kube registry %s is not in meshpilot.yaml's clusters[]", r.Cluster())
		}
	}
	for _, c := range clusters {
		agg.AddRegistry(byCluster[cluster.ID(c.Name)])
	}
	server.Discovery.ConfigUpdate(&model.PushRequest{Forced: true, Reason: model.NewReasonStats(model.GlobalUpdate)})
	return settle(server)
}

// quietPeriod: how long no new update may arrive before the push context counts as final. Kube informer
// events (a gateway Service found in another kube cluster, endpoints) reach Istio asynchronously after its
// caches report synced; a probe connecting before they land would see a half-built mesh.
const quietPeriod = 250 * time.Millisecond

// settle waits until every update Istio received is committed to its push context and none arrived for
// quietPeriod (at most 30 s).
func settle(server *xds.FakeDiscoveryServer) error {
	lastInbound := server.Discovery.InboundUpdates.Load()
	quietSince := time.Now()
	return retry.Until(func() bool {
		inbound := server.Discovery.InboundUpdates.Load()
		if inbound != lastInbound {
			lastInbound = inbound
			quietSince = time.Now()
			return false
		}
		return server.Discovery.CommittedUpdates.Load() >= inbound && time.Since(quietSince) >= quietPeriod
	}, retry.Delay(10*time.Millisecond), retry.Timeout(30*time.Second))
}
