package main

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"istio.io/istio/pilot/pkg/serviceregistry/aggregate"
	kubecontroller "istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pilot/pkg/serviceregistry/provider"
	"istio.io/istio/pilot/test/xds"
)

// memberPods lets the member kube clusters' Pods be selected by ServiceEntries, as istiod's multicluster
// controller does with PILOT_ENABLE_SERVICE_ENTRY_SELECT_PODS (its default; serviceregistry/kube/controller/
// multicluster.go initializeCluster adds the ServiceEntry controller's workload handler to every kube
// cluster). Istio's test server adds it to the config cluster only. The member clusters' Pods were read
// before the handler existed, so each is updated unchanged through its client: Istio's pod cache hands a
// ready Pod to its workload handlers on every update.
func memberPods(server *xds.FakeDiscoveryServer, clients *lateSlices) error {
	agg, ok := server.Registry.(*aggregate.Controller)
	if !ok {
		return fmt.Errorf("Istio's test server has no aggregate service registry (got %T)", server.Registry)
	}
	configCluster := server.ServiceEntryRegistry.Cluster()
	for _, r := range agg.GetRegistries() {
		if r.Provider() != provider.Kubernetes || r.Cluster() == configCluster {
			continue
		}
		if fake, ok := unwrapRegistry(r).(*kubecontroller.FakeController); ok {
			fake.AppendWorkloadHandler(server.ServiceEntryRegistry.WorkloadInstanceHandler)
		}
	}
	defaultClient := server.KubeClient()
	clients.mu.Lock()
	defer clients.mu.Unlock()
	for _, p := range clients.pending {
		if p.client == defaultClient {
			continue
		}
		for _, pod := range p.pods {
			current, err := p.client.Kube().CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("Pod %s/%s: %v", pod.Namespace, pod.Name, err)
			}
			if _, err := p.client.Kube().CoreV1().Pods(pod.Namespace).Update(context.Background(), current, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("Pod %s/%s: %v", pod.Namespace, pod.Name, err)
			}
		}
	}
	return nil
}
