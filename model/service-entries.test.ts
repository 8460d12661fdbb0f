import { describe, expect, it } from 'vitest';
import { istioObject } from '../translators/test-support/istio-config.ts';
import { reducePod } from '../server/registry/reduce.ts';
import { buildSnapshot, buildSnapshotIncremental } from './build-snapshot.ts';
import type { KubeClusterObjects, SnapshotInput } from './inputs.ts';
import { buildIstioConfigSet } from './istio/config-set.ts';
import type { AnyIstioConfig } from './istio/types.ts';

const EMPTY_CLUSTER: KubeClusterObjects = {
  name: 'config',
  services: new Map(),
  endpointSlices: new Map(),
  pods: new Map(),
  nodes: new Map(),
};
const MESH_NETWORKS = { networks: {} };

function input(objects: AnyIstioConfig[]): SnapshotInput {
  return {
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    meshNetworks: MESH_NETWORKS,
    kubeClusters: [EMPTY_CLUSTER],
    istioConfig: buildIstioConfigSet(objects),
  };
}

const vmEntry = (address: string) =>
  istioObject('ServiceEntry', 'demo', 'vm', {
    hosts: ['vm.example.internal'],
    addresses: ['240.0.0.10'],
    location: 'MESH_INTERNAL',
    resolution: 'STATIC',
    ports: [
      { number: 8080, name: 'http', protocol: 'HTTP' },
      { number: 9000, name: 'tcp', protocol: 'TCP', targetPort: 9001 },
    ],
    endpoints: [{ address, network: 'n1', serviceAccount: 'vm', ports: { http: 18080 } }],
  });

describe('ServiceEntry hosts as services', () => {
  it('adds a STATIC ServiceEntry host with its VIP, ports and inline endpoints (port by name, else targetPort)', () => {
    const snapshot = buildSnapshot(input([vmEntry('10.50.0.1')]));
    const service = snapshot.services.get('vm.example.internal');
    expect(service).toMatchObject({
      namespace: 'demo',
      vips: { config: '240.0.0.10' },
      kubeClusters: ['config'],
      serviceAccounts: ['vm'],
      serviceEntry: { name: 'vm', location: 'MESH_INTERNAL', resolution: 'STATIC' },
    });
    expect(service?.ports.map((p) => [p.name, p.port, p.appProtocol])).toEqual([
      ['http', 8080, 'http'],
      ['tcp', 9000, 'tcp'],
    ]);
    const endpoints = snapshot.endpoints.get('vm.example.internal');
    expect(endpoints?.get(8080)?.map((e) => [e.address, e.port, e.network, e.tlsMode, e.workloadEntry])).toEqual([
      ['10.50.0.1', 18080, 'n1', 'istio', 'vm-0'],
    ]);
    expect(endpoints?.get(9000)?.map((e) => e.port)).toEqual([9001]);
  });

  it('selects WorkloadEntries with workloadSelector; a DNS ServiceEntry without endpoints resolves its own host', () => {
    const snapshot = buildSnapshot(
      input([
        istioObject('ServiceEntry', 'demo', 'db', {
          hosts: ['db.example.internal'],
          location: 'MESH_INTERNAL',
          resolution: 'STATIC',
          ports: [{ number: 5432, name: 'tcp' }],
          workloadSelector: { labels: { app: 'db' } },
        }),
        istioObject('WorkloadEntry', 'demo', 'db-1', { address: '10.50.0.7', labels: { app: 'db' } }),
        istioObject('WorkloadEntry', 'demo', 'web-1', { address: '10.50.0.8', labels: { app: 'web' } }),
        istioObject('WorkloadEntry', 'other', 'db-2', { address: '10.50.0.9', labels: { app: 'db' } }),
        istioObject('ServiceEntry', 'demo', 'dns', {
          hosts: ['dns.example.com'],
          location: 'MESH_EXTERNAL',
          resolution: 'DNS',
          ports: [{ number: 443, name: 'tls' }],
        }),
      ]),
    );
    expect(
      snapshot.endpoints
        .get('db.example.internal')
        ?.get(5432)
        ?.map((e) => e.workloadEntry),
    ).toEqual(['db-1']);
    expect(snapshot.services.get('dns.example.com')?.serviceEntry?.resolution).toBe('DNS');
    expect(
      snapshot.endpoints
        .get('dns.example.com')
        ?.get(443)
        ?.map((e) => [e.address, e.port, e.tlsMode]),
    ).toEqual([['dns.example.com', 443, 'disabled']]);
  });

  it('reports a changed and a removed ServiceEntry host in the delta', () => {
    const first = buildSnapshotIncremental(input([vmEntry('10.50.0.1')]), undefined);
    const moved = buildSnapshotIncremental(input([vmEntry('10.50.0.2')]), first.memo, []);
    expect([...moved.delta.endpoints]).toEqual(['vm.example.internal']);
    const gone = buildSnapshotIncremental(input([]), moved.memo, []);
    expect([...gone.delta.services]).toEqual(['vm.example.internal']);
    expect(gone.snapshot.services.has('vm.example.internal')).toBe(false);
  });
});

describe('ServiceEntry workloadSelector over kube Pods', () => {
  const dbEntry = istioObject('ServiceEntry', 'demo', 'db', {
    hosts: ['db.example.internal'],
    location: 'MESH_INTERNAL',
    resolution: 'STATIC',
    ports: [{ number: 7000, name: 'http-db', protocol: 'HTTP', targetPort: 7001 }],
    workloadSelector: { labels: { app: 'db' } },
  });
  const podObject = (ready: boolean) => ({
    metadata: { name: 'db-0', namespace: 'demo', labels: { app: 'db' } },
    spec: { containers: [{ name: 'db', ports: [{ name: 'http-db', containerPort: 7070 }] }] },
    status: { phase: 'Running', podIP: '10.1.0.10', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const withPod = (ready: boolean): SnapshotInput => ({
    ...input([dbEntry]),
    kubeClusters: [{ ...EMPTY_CLUSTER, pods: new Map([['demo/db-0', reducePod(podObject(ready))]]) }],
  });

  it('adds a pod once it is ready, on its named container port, in an incremental build', () => {
    const first = buildSnapshotIncremental(withPod(false), undefined);
    expect(first.snapshot.endpoints.get('db.example.internal')?.get(7000)).toEqual([]);
    const ready = buildSnapshotIncremental(withPod(true), first.memo, [
      { kubeCluster: 'config', kind: 'Pod', key: 'demo/db-0' },
    ]);
    // The pod's service account joins the service's, so the service itself changed.
    expect([...ready.delta.services]).toEqual(['db.example.internal']);
    const endpoints = ready.snapshot.endpoints.get('db.example.internal')?.get(7000) ?? [];
    expect(endpoints.map((e) => [e.address, e.port, e.podName, e.workloadEntry, e.tlsMode])).toEqual([
      ['10.1.0.10', 7070, 'db-0', undefined, 'disabled'],
    ]);
  });
});
