import { describe, expect, it } from 'vitest';
import type { KubeClusterObjects, MeshNetworksSpec } from './inputs.ts';
import { cidrContains, gatewayHostnames, resolveGateways } from './networks.ts';
import type { KubeServiceRecord } from './types.ts';

describe('cidrContains (meshNetworks fromCidr)', () => {
  it.each([
    ['10.0.0.0/16', '10.0.3.4', true],
    ['10.0.0.0/16', '10.1.3.4', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['fd00::/64', 'fd00::1', true],
    ['fd00::/64', 'fd00:0:0:1::1', false],
    ['fd00:1::/32', 'fd00:1:ffff::1', true],
    ['2001:db8::/48', '2001:db8:0:ffff::', true],
    ['2001:db8::/48', '2001:db9::', false],
    ['::/0', '::1', true],
    ['fd00::1/128', 'fd00::1', true],
    ['fd00::1/128', 'fd00::2', false],
    ['::ffff:10.0.0.0/104', '::ffff:10.1.2.3', true],
    // An address of the other family is never in the range, as Go's net.IPNet.Contains.
    ['fd00::/64', '10.0.0.1', false],
    ['10.0.0.0/8', 'fd00::1', false],
    ['not-a-cidr', '10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });
});

describe('resolveGateways with hostnames (Istio resolveHostnameGateways)', () => {
  const meshNetworks: MeshNetworksSpec = {
    networks: {
      'net-m': { endpoints: [], gateways: [{ address: 'gw-m.example.test', port: 15443 }] },
    },
  };
  const gatewayService: KubeServiceRecord = {
    namespace: 'istio-system',
    name: 'istio-eastwestgateway',
    labels: { 'topology.istio.io/network': 'net-b' },
    type: 'LoadBalancer',
    headless: false,
    ports: [{ name: 'tls', port: 15443, protocol: 'TCP' }],
    loadBalancerIPs: [],
    loadBalancerHostnames: ['gw-b.example.test'],
    externalIPs: [],
  };
  const clusterB: KubeClusterObjects = {
    name: 'cluster-b',
    services: new Map([['istio-system/istio-eastwestgateway', gatewayService]]),
    endpointSlices: new Map(),
    pods: new Map(),
    nodes: new Map(),
  };

  it('lists the hostnames of meshNetworks addresses and LoadBalancer ingresses to resolve', () => {
    expect(gatewayHostnames(meshNetworks, [clusterB], 'cluster.local')).toEqual([
      'gw-b.example.test',
      'gw-m.example.test',
    ]);
  });

  it('has no gateway for a hostname not resolved yet, and one per address once resolved', () => {
    expect(resolveGateways(meshNetworks, [clusterB], 'cluster.local')).toEqual(new Map());
    const resolved = new Map([
      ['gw-b.example.test', ['10.0.0.2', 'fd00::2']],
      ['gw-m.example.test', ['10.0.0.1']],
    ]);
    expect(resolveGateways(meshNetworks, [clusterB], 'cluster.local', resolved)).toEqual(
      new Map([
        [
          'net-b',
          [
            {
              network: 'net-b',
              port: 15443,
              kubeCluster: 'cluster-b',
              address: '10.0.0.2',
              hostname: 'gw-b.example.test',
            },
            {
              network: 'net-b',
              port: 15443,
              kubeCluster: 'cluster-b',
              address: 'fd00::2',
              hostname: 'gw-b.example.test',
            },
          ],
        ],
        ['net-m', [{ network: 'net-m', port: 15443, address: '10.0.0.1', hostname: 'gw-m.example.test' }]],
      ]),
    );
  });
});
