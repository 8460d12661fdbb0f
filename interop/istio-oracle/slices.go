package main

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	kubelib "istio.io/istio/pkg/kube"
)

// lateSlices holds every kube cluster's EndpointSlices back from its fake kube client and creates them once
// the server has read the cluster's Services, as a live cluster's endpoints follow their Service.
//
// Why: Istio reads an endpoint's health from its slice when the slice arrives (endpointHealthStatus), and a
// not-ready terminating endpoint is Terminating (never sent) only if its Service is already known; before
// that it is UnHealthy (sent). Istio's test server starts every informer at once, so whether a Service or
// its slice is handled first changed from run to run, and with it whether a terminating endpoint was sent.
type lateSlices struct {
	mu      sync.Mutex
	pending []clientSlices
}

type clientSlices struct {
	client kubelib.Client
	slices []*discoveryv1.EndpointSlice
	// pods are the client's Pods (not held back): memberPods updates them once its handlers are in place.
	pods []*corev1.Pod
}

// builder is the test server's KubeClientBuilder: a fake client with every object but the EndpointSlices.
func (l *lateSlices) builder(objects ...runtime.Object) kubelib.Client {
	var kept []runtime.Object
	var slices []*discoveryv1.EndpointSlice
	var pods []*corev1.Pod
	for _, o := range objects {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
		if s, ok := o.(*discoveryv1.EndpointSlice); ok {
			slices = append(slices, s)
			continue
		}
		kept = append(kept, o)
	}
	client := kubelib.NewFakeClient(kept...)
	l.mu.Lock()
	l.pending = append(l.pending, clientSlices{client: client, slices: slices, pods: pods})
	l.mu.Unlock()
	return client
}

// create adds the held-back EndpointSlices through their kube clusters' clients.
func (l *lateSlices) create(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.pending {
		p := &l.pending[i]
		for _, s := range p.slices {
			if _, err := p.client.Kube().DiscoveryV1().EndpointSlices(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("EndpointSlice %s/%s: %v", s.Namespace, s.Name, err)
			}
		}
	}
	for i := range l.pending {
		l.pending[i].slices = nil
	}
	return nil
}
