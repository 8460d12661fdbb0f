package main

import (
	"fmt"
	"reflect"

	"istio.io/istio/pilot/pkg/config/memory"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/serviceregistry"
	"istio.io/istio/pilot/pkg/serviceregistry/aggregate"
	kubecontroller "istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pilot/pkg/serviceregistry/provider"
	"istio.io/istio/pilot/pkg/serviceregistry/serviceentry"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/config/schema/collection"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/gvk"
)

// memberWorkloadEntries adds the WorkloadEntries of the member kube clusters' manifest folders as istiod's
// multicluster controller does with PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY (its default; serviceregistry/
// kube/controller/multicluster.go initializeCluster): for every kube cluster but the config cluster, a
// WorkloadEntry-only store and controller (the entries belong to that kube cluster, their network defaults to
// its network) whose workloads feed that cluster's kube Services and the config cluster's ServiceEntries.
// Istio's test server has no such controller; a kube cluster that is a `config:` source already has its
// Istio objects in the config store and gets none. Clusters without WorkloadEntries get none either (an
// empty controller changes nothing).
func memberWorkloadEntries(server *xds.FakeDiscoveryServer, cfg *meshpilotConfig, warn func(string), stop <-chan struct{}) error {
	agg, ok := server.Registry.(*aggregate.Controller)
	if !ok {
		return fmt.Errorf("Istio's test server has no aggregate service registry (got %T)", server.Registry)
	}
	configSources := map[string]bool{}
	for _, s := range cfg.Config {
		if s.Cluster != "" {
			configSources[s.Cluster] = true
		}
	}
	added := false
	for i, c := range cfg.Clusters {
		if i == 0 || configSources[c.Name] {
			continue
		}
		docs, err := readFolder(c.Manifests, warn)
		if err != nil {
			return fmt.Errorf("kube cluster %s: %v", c.Name, err)
		}
		var entries []config.Config
		for _, cfg := range istioConfigs(docs, warn) {
			if cfg.GroupVersionKind == gvk.WorkloadEntry {
				entries = append(entries, cfg)
			}
		}
		if len(entries) == 0 {
			continue
		}
		var kubeRegistry *kubecontroller.FakeController
		for _, r := range agg.GetRegistries() {
			if r.Provider() != provider.Kubernetes || r.Cluster() != cluster.ID(c.Name) {
				continue
			}
			if fake, ok := unwrapRegistry(r).(*kubecontroller.FakeController); ok {
				kubeRegistry = fake
			}
		}
		if kubeRegistry == nil {
			return fmt.Errorf("Istio's test server has no kube registry for kube cluster %s", c.Name)
		}
		store := memory.NewController(memory.Make(collection.NewSchemasBuilder().MustAdd(collections.WorkloadEntry).Build()))
		for _, entry := range entries {
			if _, err := store.Create(entry); err != nil {
				warn(fmt.Sprintf("kube cluster %s: WorkloadEntry %s/%s: %v", c.Name, entry.Namespace, entry.Name, err))
			}
		}
		controller := serviceentry.NewWorkloadEntryController(store, server.XdsUpdater, nil,
			meshwatcher.NewTestWatcher(server.Env().Mesh()),
			serviceentry.WithClusterID(cluster.ID(c.Name)),
			serviceentry.WithNetworkIDCb(kubeRegistry.Network))
		controller.AppendWorkloadHandler(kubeRegistry.WorkloadInstanceHandler)
		controller.AppendWorkloadHandler(server.ServiceEntryRegistry.WorkloadInstanceHandler)
		agg.AddRegistryAndRun(controller, stop)
		go store.Run(stop)
		added = true
	}
	if added {
		server.Discovery.ConfigUpdate(&model.PushRequest{Forced: true, Reason: model.NewReasonStats(model.GlobalUpdate)})
	}
	return nil
}

// unwrapRegistry is the registry the aggregate controller holds in its (unexported) registry entry, which
// embeds it as the field Instance.
func unwrapRegistry(r serviceregistry.Instance) serviceregistry.Instance {
	for range 4 {
		v := reflect.ValueOf(r)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return r
		}
		f := v.FieldByName("Instance")
		if !f.IsValid() || !f.CanInterface() {
			return r
		}
		inner, ok := f.Interface().(serviceregistry.Instance)
		if !ok || inner == nil {
			return r
		}
		r = inner
	}
	return r
}
