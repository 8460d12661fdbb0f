import { buildSnapshot } from '../../model/build-snapshot.ts';
import type { KubeClusterObjects } from '../../model/inputs.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type {
  EndpointSliceRecord,
  KubeServiceRecord,
  MeshSnapshot,
  PodRecord,
  ServicePort,
} from '../../model/types.ts';

/**
 * Test support: a small two-cluster mesh exercising what the seed lacks — HTTP, gRPC (by name and
 * appProtocol), TCP and UDP ports, a named targetPort, a headless service, a service only in the
 * remote kube cluster, one ClusterIP used by two services in two kube clusters, and a service name
 * repeated in two namespaces.
 */

interface ServiceSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly clusterIP?: string;
  readonly ports: readonly ServicePort[];
  /** Pod IP → endpoint port per service port name. */
  readonly endpoints?: readonly { readonly ip: string; readonly ports: Readonly<Record<string, number>> }[];
}

function kubeCluster(name: string, network: string, specs: readonly ServiceSpec[]): KubeClusterObjects {
  const services = new Map<string, KubeServiceRecord>();
  const endpointSlices = new Map<string, EndpointSliceRecord>();
  const pods = new Map<string, PodRecord>();
  for (const spec of specs) {
    const namespace = spec.namespace ?? 'default';
    services.set(`${namespace}/${spec.name}`, {
      namespace,
      name: spec.name,
      labels: {},
      type: 'ClusterIP',
      ...(spec.clusterIP ? { clusterIP: spec.clusterIP } : {}),
      headless: spec.clusterIP === undefined,
      ports: spec.ports,
      loadBalancerIPs: [],
      externalIPs: [],
    });
    const endpoints = spec.endpoints ?? [];
    endpoints.forEach((e, i) => {
      const podName = `${spec.name}-${i}`;
      pods.set(`${namespace}/${podName}`, {
        namespace,
        name: podName,
        ip: e.ip,
        labels: { 'security.istio.io/tlsMode': 'istio' },
        serviceAccount: spec.name,
      });
    });
    for (const port of spec.ports) {
      endpointSlices.set(`${namespace}/${spec.name}-${port.name}`, {
        namespace,
        name: `${spec.name}-${port.name}`,
        serviceName: spec.name,
        addressType: 'IPv4',
        ports: [{ name: port.name, port: endpoints[0]?.ports[port.name] ?? port.port, protocol: port.protocol }],
        endpoints: endpoints.map((e, i) => ({
          addresses: [e.ip],
          ready: true,
          serving: true,
          terminating: false,
          podName: `${spec.name}-${i}`,
        })),
      });
    }
  }
  return { name, network, services, endpointSlices, pods, nodes: new Map() };
}

const tcp = (name: string, port: number, extra: Partial<ServicePort> = {}): ServicePort => ({
  name,
  port,
  protocol: 'TCP',
  ...extra,
});

export const RICH_APP_IP = '10.1.0.5';

export function richSnapshot(): MeshSnapshot {
  const east = kubeCluster('east', 'net-east', [
    {
      name: 'app',
      clusterIP: '10.0.0.1',
      ports: [
        tcp('http-web', 80, { targetPort: 'web' }),
        tcp('grpc', 9000),
        tcp('mysql', 3306),
        tcp('dns', 53, { protocol: 'UDP' }),
      ],
      endpoints: [{ ip: RICH_APP_IP, ports: { 'http-web': 8080, grpc: 9000, mysql: 3306, dns: 53 } }],
    },
    {
      name: 'api',
      clusterIP: '10.0.0.2',
      ports: [tcp('tcp-api', 80, { appProtocol: 'kubernetes.io/h2c' })],
      endpoints: [{ ip: '10.1.0.6', ports: { 'tcp-api': 8080 } }],
    },
    { name: 'app', namespace: 'other', clusterIP: '10.0.0.3', ports: [tcp('http', 80)] },
    { name: 'db', ports: [tcp('tcp', 5432)], endpoints: [{ ip: '10.1.0.7', ports: { tcp: 5432 } }] },
    { name: 'shared-a', clusterIP: '10.0.0.9', ports: [tcp('tcp', 7000)] },
  ]);
  const west = kubeCluster('west', 'net-west', [
    {
      name: 'app',
      clusterIP: '10.200.0.1',
      ports: [tcp('http-web', 80)],
      endpoints: [{ ip: '10.2.0.5', ports: { 'http-web': 8080 } }],
    },
    { name: 'remote-only', clusterIP: '10.200.0.2', ports: [tcp('http', 8080)] },
    { name: 'shared-b', clusterIP: '10.0.0.9', ports: [tcp('tcp', 7000)] },
    { name: 'db', ports: [tcp('tcp', 5432)], endpoints: [{ ip: '10.2.0.7', ports: { tcp: 5432 } }] },
  ]);
  return buildSnapshot({
    domainSuffix: 'cluster.local',
    trustDomain: 'cluster.local',
    kubeClusters: [east, west],
    meshNetworks: {
      networks: {
        'net-east': { endpoints: [{ fromRegistry: 'east' }], gateways: [{ address: '192.0.2.1', port: 15443 }] },
        'net-west': { endpoints: [{ fromRegistry: 'west' }], gateways: [{ address: '192.0.2.2', port: 15443 }] },
      },
    },
  });
}

export function richView(overrides: Partial<ProxyView> = {}): ProxyView {
  return {
    generator: 'envoy',
    proxyType: 'sidecar',
    routerMode: 'standard',
    network: 'net-east',
    locality: { region: 'r', zone: 'z', subZone: '' },
    kubeCluster: 'east',
    namespace: 'default',
    requestedNetworkView: [],
    workloadIp: RICH_APP_IP,
    ...overrides,
  };
}
