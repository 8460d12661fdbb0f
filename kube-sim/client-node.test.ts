import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index.ts';
import { eventually } from '../e2e/support/eventually.ts';

function slice(
  name: string,
  address: string,
  labels: Record<string, string> = {},
): V1EndpointSlice & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'sample', labels: { 'kubernetes.io/service-name': 'helloworld', ...labels } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 5000, protocol: 'TCP' }],
    endpoints: [{ addresses: [address] }],
  };
}

describe('kube-sim with @kubernetes/client-node', () => {
  let sim: KubeSim;
  let informer: Informer<V1EndpointSlice> | undefined;
  beforeEach(async () => {
    sim = await startKubeSim({ bookmarkIntervalMs: 100, clusterName: 'node-client' });
  });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await sim.stop();
  });

  it('lists services, pods and endpoint slices through the kubeconfig', async () => {
    sim.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'helloworld', namespace: 'sample' },
      spec: { ports: [{ port: 5000 }] },
    });
    sim.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'helloworld-1', namespace: 'sample', labels: { app: 'helloworld' } },
      spec: { containers: [{ name: 'app', image: 'x' }] },
    });
    sim.apply(slice('helloworld-a', '10.0.0.1'));
    const config = new KubeConfig();
    config.loadFromString(sim.kubeconfig);
    expect(config.getCurrentContext()).toBe('node-client');
    const core = config.makeApiClient(CoreV1Api);
    const services = await core.listServiceForAllNamespaces();
    expect(services.items.map((s) => s.metadata?.name)).toEqual(['helloworld']);
    expect(services.items[0]?.spec?.clusterIP).toMatch(/^10\.96\./);
    const pods = await core.listNamespacedPod({ namespace: 'sample', labelSelector: 'app=helloworld' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['helloworld-1']);
    const slices = await config.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'sample' });
    expect(slices.items[0]?.endpoints[0]?.addresses).toEqual(['10.0.0.1']);
    expect(slices.metadata?.resourceVersion).toBe(sim.resourceVersion());
  });

  it('drives an informer through add, modify, delete, a silent watch cut and a forced 410 re-list', async () => {
    const config = new KubeConfig();
    config.loadFromString(sim.kubeconfig);
    const discovery = config.makeApiClient(DiscoveryV1Api);
    let lists = 0;
    const started = makeInformer<V1EndpointSlice>(config, '/apis/discovery.k8s.io/v1/endpointslices', () => {
      lists += 1;
      return discovery.listEndpointSliceForAllNamespaces();
    });
    informer = started;
    const seen: string[] = [];
    const record = (type: string) => (object: V1EndpointSlice) =>
      seen.push(`${type} ${object.metadata?.name ?? ''} ${object.endpoints[0]?.addresses[0] ?? ''}`);
    started.on('add', record('add'));
    started.on('update', record('update'));
    started.on('delete', record('delete'));
    // A dropped watch reaches the informer as an error; like any long-running user, restart it.
    let errors = 0;
    started.on('error', () => {
      errors += 1;
      setTimeout(() => void started.start(), 20);
    });
    sim.apply(slice('a', '10.0.0.1'));
    await started.start();
    await eventually(() => seen.includes('add a 10.0.0.1'), 'the initial list');

    sim.apply(slice('b', '10.0.0.2'));
    sim.apply(slice('a', '10.0.0.11'));
    sim.remove('discovery.k8s.io/v1', 'EndpointSlice', 'sample', 'b');
    await eventually(() => seen.includes('delete b 10.0.0.2'), 'the watch events');
    expect(seen).toEqual(['add a 10.0.0.1', 'add b 10.0.0.2', 'update a 10.0.0.11', 'delete b 10.0.0.2']);

    // (a) silent cut: changes made while the watch is down arrive after the informer resumes.
    await eventually(() => sim.openWatchCount() === 1, 'the watch to be open');
    expect(sim.faults.cutWatches()).toBe(1);
    sim.apply(slice('c', '10.0.0.3'));
    sim.apply(slice('a', '10.0.0.12'));
    await eventually(
      () => seen.includes('update a 10.0.0.12') && seen.includes('add c 10.0.0.3'),
      'recovery after the cut',
    );
    expect(lists).toBe(1);

    // (b) forced 410: the informer must re-list and reconcile a deletion it never saw as an event.
    sim.faults.force410(1);
    sim.faults.cutWatches();
    sim.remove('discovery.k8s.io/v1', 'EndpointSlice', 'sample', 'c');
    sim.apply(slice('d', '10.0.0.4'));
    await eventually(() => lists === 2, 'a re-list after 410');
    await eventually(
      () => seen.includes('delete c 10.0.0.3') && seen.includes('add d 10.0.0.4'),
      'reconciliation after the re-list',
    );
    await eventually(() => sim.openWatchCount() === 1, 'the watch to be open again');

    sim.apply(slice('d', '10.0.0.44'));
    await eventually(() => seen.includes('update d 10.0.0.44'), 'events after recovery');
    const cached = started
      .list()
      .map((s) => `${s.metadata?.name ?? ''} ${s.endpoints[0]?.addresses[0] ?? ''}`)
      .sort();
    const truth = sim
      .list('discovery.k8s.io/v1', 'EndpointSlice')
      .map((s) => `${s.metadata.name} ${JSON.stringify(s['endpoints']).match(/10\.[\d.]+/)?.[0] ?? ''}`)
      .sort();
    expect(cached).toEqual(truth);
    expect(cached).toEqual(['a 10.0.0.12', 'd 10.0.0.44']);
    expect(errors).toBeGreaterThanOrEqual(1);
  });
});
