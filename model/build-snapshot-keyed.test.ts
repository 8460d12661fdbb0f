import { describe, expect, it } from 'vitest';
import { buildSnapshot, buildSnapshotIncremental, type SnapshotMemo } from './build-snapshot.ts';
import type { InputChange, KubeClusterObjects, SnapshotInput } from './inputs.ts';
import { shareUnchanged } from './snapshot-delta.ts';
import type { EndpointSliceRecord, KubeServiceRecord, NodeRecord, PodRecord } from './types.ts';

/** A small seeded generator, so a failure names the seed that reproduces it. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

type Stores = {
  name: string;
  network: string;
  services: Map<string, KubeServiceRecord>;
  endpointSlices: Map<string, EndpointSliceRecord>;
  pods: Map<string, PodRecord>;
  nodes: Map<string, NodeRecord>;
};

const SERVICES = 12;
const PODS = 30;
const NODES = 4;

function service(name: string, port: number, headless = false): KubeServiceRecord {
  return {
    namespace: 'ns',
    name,
    labels: {},
    type: 'ClusterIP',
    clusterIP: headless ? undefined : `10.96.0.${port % 200}`,
    headless,
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    loadBalancerIPs: [],
    externalIPs: [],
  } as KubeServiceRecord;
}

function pod(cluster: number, i: number, version: string, ipShift = 0): PodRecord {
  return {
    namespace: 'ns',
    name: `pod-${i}`,
    ip: `10.${cluster}.${ipShift}.${i + 1}`,
    labels: { version, 'security.istio.io/tlsMode': i % 3 === 0 ? 'disabled' : 'istio' },
    serviceAccount: `sa-${i % 4}`,
    nodeName: `node-${i % NODES}`,
  };
}

function slice(name: string, serviceName: string, pods: readonly PodRecord[]): EndpointSliceRecord {
  return {
    namespace: 'ns',
    name,
    serviceName,
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({
      addresses: [p.ip!],
      ready: true,
      serving: true,
      terminating: false,
      podName: p.name,
      podKey: `ns/${p.name}`,
    })),
  };
}

function node(name: string, zone: string): NodeRecord {
  return {
    name,
    locality: { region: 'r', zone, subZone: '' },
    internalIPs: [`172.16.0.${zone.length}${name.length}`],
    externalIPs: [`203.0.113.${zone.length}${name.length}`],
  };
}

function clusterOf(index: number): Stores {
  const stores: Stores = {
    name: `kc-${index}`,
    network: `net-${index % 2}`,
    services: new Map(),
    endpointSlices: new Map(),
    pods: new Map(),
    nodes: new Map(),
  };
  for (let n = 0; n < NODES; n += 1) stores.nodes.set(`node-${n}`, node(`node-${n}`, `z${n}`));
  for (let p = 0; p < PODS; p += 1) stores.pods.set(`ns/pod-${p}`, pod(index, p, 'v1'));
  for (let s = 0; s < SERVICES; s += 1) {
    stores.services.set(`ns/svc-${s}`, service(`svc-${s}`, 5000 + s));
    const members = [...stores.pods.values()].filter((_, p) => p % SERVICES === s || (p + 1) % SERVICES === s);
    stores.endpointSlices.set(`ns/svc-${s}-a`, slice(`svc-${s}-a`, `svc-${s}`, members));
  }
  return stores;
}

/** One random change to one kube cluster's stores, named as the registry would name it. */
function mutate(clusters: readonly Stores[], next: (n: number) => number): InputChange[] {
  const cluster = clusters[next(clusters.length)]!;
  const kubeCluster = cluster.name;
  const s = next(SERVICES + 2);
  const p = next(PODS + 2);
  switch (next(11)) {
    case 9: {
      // an east-west gateway Service (network label): LoadBalancer IPs, or NodePort (with Istio's
      // traffic.istio.io/nodeSelector annotation) on the nodes' ExternalIPs
      const nodePort = next(2) === 0;
      cluster.services.set('ns/eastwest', {
        ...service('eastwest', 15443),
        labels: { 'topology.istio.io/network': `net-${next(2)}` },
        type: nodePort ? 'NodePort' : 'LoadBalancer',
        ports: [{ name: 'tls', port: 15443, protocol: 'TCP', ...(nodePort ? { nodePort: 31443 } : {}) }],
        loadBalancerIPs: nodePort ? [] : [`192.0.2.${next(3)}`],
        ...(nodePort ? { nodeSelector: {} } : {}),
      });
      return [{ kubeCluster, kind: 'Service', key: 'ns/eastwest' }];
    }
    case 10:
      cluster.services.delete('ns/eastwest');
      return [{ kubeCluster, kind: 'Service', key: 'ns/eastwest' }];
    case 0: // a service's ports change, or it is added back
      cluster.services.set(`ns/svc-${s}`, service(`svc-${s}`, 6000 + next(3)));
      return [{ kubeCluster, kind: 'Service', key: `ns/svc-${s}` }];
    case 1:
      cluster.services.delete(`ns/svc-${s}`);
      return [{ kubeCluster, kind: 'Service', key: `ns/svc-${s}` }];
    case 2: {
      // endpoints move: a slice now names other pods
      const members = [...cluster.pods.values()].filter(() => next(3) === 0);
      cluster.endpointSlices.set(`ns/svc-${s}-a`, slice(`svc-${s}-a`, `svc-${s}`, members));
      return [{ kubeCluster, kind: 'EndpointSlice', key: `ns/svc-${s}-a` }];
    }
    case 3: {
      // a slice changes owner
      const existing = cluster.endpointSlices.get(`ns/svc-${s}-a`);
      if (!existing) return [];
      cluster.endpointSlices.set(`ns/svc-${s}-a`, { ...existing, serviceName: `svc-${next(SERVICES)}` });
      return [{ kubeCluster, kind: 'EndpointSlice', key: `ns/svc-${s}-a` }];
    }
    case 4:
      cluster.endpointSlices.delete(`ns/svc-${s}-b`);
      cluster.endpointSlices.set(
        `ns/svc-${s}-b`,
        slice(`svc-${s}-b`, `svc-${s}`, [...cluster.pods.values()].slice(0, next(4))),
      );
      return [{ kubeCluster, kind: 'EndpointSlice', key: `ns/svc-${s}-b` }];
    case 5:
      // a pod's labels change (subsets, tlsMode), or a pod a slice names appears
      cluster.pods.set(`ns/pod-${p}`, pod(Number(kubeCluster.slice(3)), p, `v${next(3)}`));
      return [{ kubeCluster, kind: 'Pod', key: `ns/pod-${p}` }];
    case 6:
      cluster.pods.delete(`ns/pod-${p}`);
      return [{ kubeCluster, kind: 'Pod', key: `ns/pod-${p}` }];
    case 7:
      // a pod's IP changes (its old IP leaves the workloads)
      cluster.pods.set(`ns/pod-${p}`, pod(Number(kubeCluster.slice(3)), p, 'v1', 1 + next(2)));
      return [{ kubeCluster, kind: 'Pod', key: `ns/pod-${p}` }];
    default: {
      const n = next(NODES);
      cluster.nodes.set(`node-${n}`, node(`node-${n}`, `z${next(5)}`));
      return [{ kubeCluster, kind: 'Node', key: `node-${n}` }];
    }
  }
}

const sorted = (set: ReadonlySet<string>) => [...set].sort();

describe('buildSnapshotIncremental with named changes', () => {
  it.each([1, 2, 3, 4, 5])(
    'rebuilds only what the changes name, and gives the same snapshot and delta as a whole build (seed %i)',
    (seed) => {
      const next = random(seed);
      const clusters = [clusterOf(1), clusterOf(2), clusterOf(3)];
      // The same settings objects every time, as the pipeline passes them: the builds then follow the named changes.
      const meshNetworks = { networks: {} };
      const input = (): SnapshotInput => ({
        domainSuffix: 'cluster.local',
        trustDomain: 'cluster.local',
        meshNetworks,
        kubeClusters: clusters as KubeClusterObjects[],
      });
      let build = buildSnapshotIncremental(input(), undefined, []);
      let memo: SnapshotMemo = build.memo;
      const seen = { gateways: false, endpoints: false, services: false };
      for (let round = 0; round < 60; round += 1) {
        const changes = Array.from({ length: 1 + next(3) }, () => mutate(clusters, next)).flat();
        const previous = build.snapshot;
        build = buildSnapshotIncremental(input(), memo, changes);
        memo = build.memo;
        expect(build.followed).toBe('changes');
        const whole = buildSnapshot(input());
        expect(build.snapshot, `round ${round}`).toEqual(whole);
        const expected = shareUnchanged(previous, whole).delta;
        expect(
          {
            services: sorted(build.delta.services),
            endpoints: sorted(build.delta.endpoints),
            gateways: build.delta.gateways,
          },
          `round ${round}`,
        ).toEqual({
          services: sorted(expected.services),
          endpoints: sorted(expected.endpoints),
          gateways: expected.gateways,
        });
        seen.gateways ||= build.delta.gateways;
        seen.endpoints ||= build.delta.endpoints.size > 0;
        seen.services ||= build.delta.services.size > 0;
        // Unchanged services are the previous objects (consumers compare by identity).
        for (const [hostname, service] of build.snapshot.services)
          if (!build.delta.services.has(hostname) && previous.services.has(hostname))
            expect(service).toBe(previous.services.get(hostname));
      }
      expect(seen).toEqual({ gateways: true, endpoints: true, services: true });
    },
  );

  it('an endpoint change rebuilds one service: the others are the same objects', () => {
    const clusters = [clusterOf(1), clusterOf(2)];
    const input: SnapshotInput = {
      domainSuffix: 'cluster.local',
      trustDomain: 'cluster.local',
      meshNetworks: { networks: {} },
      kubeClusters: clusters,
    };
    const first = buildSnapshotIncremental(input, undefined, []);
    // One endpoint's address moves; the pods (and so the service accounts) stay.
    const original = clusters[0]!.endpointSlices.get('ns/svc-3-a')!;
    clusters[0]!.endpointSlices.set('ns/svc-3-a', {
      ...original,
      endpoints: original.endpoints.map((e, i) => (i === 0 ? { ...e, addresses: ['10.1.9.9'] } : e)),
    });
    const second = buildSnapshotIncremental(input, first.memo, [
      { kubeCluster: 'kc-1', kind: 'EndpointSlice', key: 'ns/svc-3-a' },
    ]);
    expect(second.followed).toBe('changes');
    expect(sorted(second.delta.endpoints)).toEqual(['svc-3.ns.svc.cluster.local']);
    expect(second.delta.services.size).toBe(0);
    for (const [hostname, endpoints] of second.snapshot.endpoints)
      if (hostname !== 'svc-3.ns.svc.cluster.local') expect(endpoints).toBe(first.snapshot.endpoints.get(hostname));
    expect(second.snapshot.workloadsByIp).toBe(first.snapshot.workloadsByIp);
    expect(second.snapshot.gateways).toBe(first.snapshot.gateways);
  });
});
