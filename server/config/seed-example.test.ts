import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { readManifestFolder, type KubeObject } from './manifests.ts';

// Guards the bundled example against drift from the seed talk: other parts and e2e tests rely on it.
const SEED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'seed');

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`${kind} ${name} missing from the seed manifests`);
  return found;
}

describe('examples/seed', () => {
  it('has the talk mesh: two clusters on two networks with their east-west gateways, on loopback', async () => {
    const result = await loadConfig(join(SEED, 'meshpilot.yaml'));
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
    const { config } = result;
    expect(config.meshId).toBe('mesh1');
    expect(config.listen).toEqual({ xds: '127.0.0.1:15010', xdsTls: '127.0.0.1:15012', admin: '127.0.0.1:15014' });
    expect(config.clusters).toEqual([
      { name: 'cluster-a', network: 'group20', manifests: join(SEED, 'cluster-a') },
      { name: 'cluster-b', network: 'group30', manifests: join(SEED, 'cluster-b') },
    ]);
    expect(config.config).toEqual([{ manifests: join(SEED, 'istio') }]);
    expect(config.meshNetworks.networks).toEqual({
      group20: { endpoints: [{ fromRegistry: 'cluster-a' }], gateways: [{ address: '10.64.31.204', port: 15443 }] },
      group30: { endpoints: [{ fromRegistry: 'cluster-b' }], gateways: [{ address: '10.64.31.211', port: 15443 }] },
    });
  });

  it.each([
    [
      'cluster-a',
      'node-a1',
      'shanghai-20',
      'helloworld-5d977bc559-8dxts',
      '192.192.146.69',
      'group20',
      'v1',
      '10.64.31.204',
    ],
    [
      'cluster-b',
      'node-b1',
      'shanghai-130',
      'helloworld-5d977bc559-az6xt',
      '10.201.141.149',
      'group30',
      'v2',
      '10.64.31.211',
    ],
  ])(
    '%s holds the helloworld pod, its node, endpoint slice and gateway service',
    async (folder, node, zone, podName, podIp, network, version, gatewayIp) => {
      const { objects, errors } = await readManifestFolder(join(SEED, folder));
      expect(errors).toEqual([]);
      expect(find(objects, 'Node', node).metadata.labels).toMatchObject({
        'topology.kubernetes.io/region': 'cn',
        'topology.kubernetes.io/zone': zone,
      });
      const pod = find(objects, 'Pod', podName);
      expect(pod.metadata.labels).toEqual({
        app: 'helloworld',
        version,
        'topology.istio.io/network': network,
        'security.istio.io/tlsMode': 'istio',
      });
      expect(pod).toMatchObject({
        spec: { nodeName: node, serviceAccountName: 'helloworld' },
        status: { podIP: podIp, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      expect(find(objects, 'Service', 'helloworld')).toMatchObject({
        spec: { selector: { app: 'helloworld' }, ports: [{ name: 'grpc', port: 5000, targetPort: 5000 }] },
      });
      const slice = find(objects, 'EndpointSlice', `helloworld-${folder.slice(-1)}`);
      expect(slice).toMatchObject({
        metadata: { namespace: 'default', labels: { 'kubernetes.io/service-name': 'helloworld' } },
        addressType: 'IPv4',
        ports: [{ name: 'grpc', port: 5000, protocol: 'TCP' }],
        endpoints: [
          {
            addresses: [podIp],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: node,
            zone,
            targetRef: { kind: 'Pod', name: podName },
          },
        ],
      });
      expect(find(objects, 'Service', 'istio-eastwestgateway')).toMatchObject({
        metadata: { namespace: 'istio-system', labels: { 'topology.istio.io/network': network } },
        spec: { type: 'LoadBalancer', ports: [{ name: 'tls', port: 15443 }] },
        status: { loadBalancer: { ingress: [{ ip: gatewayIp }] } },
      });
    },
  );

  it('istio/ holds the helloworld DestinationRule with one request per connection', async () => {
    const { objects, errors } = await readManifestFolder(join(SEED, 'istio'));
    expect(errors).toEqual([]);
    expect(objects).toEqual([
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'helloworld', namespace: 'default' },
        spec: {
          host: 'helloworld.default.svc.cluster.local',
          trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } },
        },
      },
    ]);
  });
});
