import type { RealKubeCluster } from './real-kube-cluster.ts';

/**
 * helloworld as a real API server accepts it: a namespace, the pods' ServiceAccount (the
 * ServiceAccount admission plugin refuses pods whose account is missing), a Node, the Service, an
 * EndpointSlice managed by the test (no controller-manager runs) and Pods with containers. Pod status
 * (podIP) is written through the status subresource, as a kubelet does: a create drops it.
 */

export const HELLO_NAMESPACE = 'sample';
export const HELLO_PORT = 5000;
export const HELLO_ENVOY_CLUSTER = 'outbound|5000||helloworld.sample.svc.cluster.local';

export interface HelloPod {
  readonly ip: string;
  readonly name: string;
}

export function helloPods(tag: string, ips: readonly string[]): HelloPod[] {
  return ips.map((ip, i) => ({ ip, name: `helloworld-${tag}-${i}` }));
}

/** Objects for one kube cluster's helloworld; apply in order (namespace first). */
export function helloworldObjects(tag: string, pods: readonly HelloPod[]): Record<string, unknown>[] {
  const node = `node-${tag}`;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: HELLO_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'helloworld', namespace: HELLO_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node,
        labels: { 'topology.kubernetes.io/region': 'region-1', 'topology.kubernetes.io/zone': `zone-${tag}` },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'helloworld', namespace: HELLO_NAMESPACE },
      spec: {
        clusterIP: '10.96.0.10',
        selector: { app: 'helloworld' },
        ports: [{ name: 'grpc', port: HELLO_PORT, targetPort: HELLO_PORT, protocol: 'TCP' }],
      },
    },
    helloSlice(tag, pods),
    ...pods.map((pod) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: HELLO_NAMESPACE, labels: { app: 'helloworld', version: 'v1' } },
      spec: {
        serviceAccountName: 'helloworld',
        nodeName: node,
        containers: [
          { name: 'helloworld', image: 'registry.test/helloworld:v1', ports: [{ containerPort: HELLO_PORT }] },
        ],
      },
    })),
  ];
}

export function helloSlice(tag: string, pods: readonly HelloPod[]): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'helloworld-slice',
      namespace: HELLO_NAMESPACE,
      labels: { 'kubernetes.io/service-name': 'helloworld', 'endpointslice.kubernetes.io/managed-by': 'meshpilot-e2e' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port: HELLO_PORT, protocol: 'TCP' }],
    endpoints: pods.map((pod) => ({
      addresses: [pod.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: `node-${tag}`,
      targetRef: { kind: 'Pod', name: pod.name, namespace: HELLO_NAMESPACE },
    })),
  };
}

/** Applies helloworld with kubectl, sets each pod's status (podIP, Running) and deletes pods of this tag not in `pods`. */
export async function applyHelloworld(cluster: RealKubeCluster, tag: string, pods: readonly HelloPod[]): Promise<void> {
  await cluster.apply(helloworldObjects(tag, pods));
  for (const pod of pods) {
    await cluster.kubectl([
      'patch',
      'pod',
      pod.name,
      '-n',
      HELLO_NAMESPACE,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Running', podIP: pod.ip, podIPs: [{ ip: pod.ip }] } }),
    ]);
  }
  const listed = (await cluster.call('GET', `/api/v1/namespaces/${HELLO_NAMESPACE}/pods`)) as {
    items: { metadata: { name: string } }[];
  };
  const keep = new Set(pods.map((pod) => pod.name));
  const stale = listed.items.map((pod) => pod.metadata.name).filter((name) => !keep.has(name));
  if (stale.length > 0)
    await cluster.kubectl(['delete', 'pod', '-n', HELLO_NAMESPACE, '--grace-period=0', '--force', ...stale]);
}

/**
 * What the API servers hold for helloworld: every ready endpoint address of its EndpointSlices, as
 * `ip:port`, over all `clusters`, sorted (duplicates kept, so a duplicate would show).
 */
export async function apiServerEndpoints(clusters: readonly RealKubeCluster[]): Promise<string[]> {
  const addresses: string[] = [];
  for (const cluster of clusters) {
    const slices = (await cluster.call(
      'GET',
      `/apis/discovery.k8s.io/v1/namespaces/${HELLO_NAMESPACE}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhelloworld`,
    )) as {
      items: {
        ports?: { port?: number }[];
        endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
      }[];
    };
    for (const slice of slices.items) {
      const port = slice.ports?.[0]?.port ?? 0;
      for (const endpoint of slice.endpoints ?? [])
        if (endpoint.conditions?.ready !== false)
          for (const address of endpoint.addresses) addresses.push(`${address}:${port}`);
    }
  }
  return addresses.sort();
}
