import { describe, expect, it } from 'vitest';
import { MeshpilotConfigSchema, type KubeClusterConfig } from './schema.ts';

function issuesOf(input: unknown) {
  const result = MeshpilotConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code }));
}

describe('MeshpilotConfigSchema', () => {
  it('fills every default from an empty mapping', () => {
    expect(MeshpilotConfigSchema.parse({})).toEqual({
      meshId: 'mesh1',
      trustDomain: 'cluster.local',
      domainSuffix: 'cluster.local',
      listen: { xds: '0.0.0.0:15010', xdsTls: '0.0.0.0:15012', admin: '127.0.0.1:15014' },
      clusters: [],
      config: [],
      meshNetworks: { networks: {} },
      mesh: {},
      optIn: { gatewayEjectionRemedy: false, grpcOutlierDetection: false },
      gatewayDns: { servers: [], minTtlMs: 30_000, maxTtlMs: 3_600_000, timeoutMs: 5_000 },
      debounce: { quietMs: 100, maxMs: 1000 },
      readiness: { remoteClusterTimeoutMs: 30000 },
      registry: { resyncMs: 300000, unreachablePolicy: 'keep', dropAfterMs: 600000 },
      xdsServer: {
        maxConnectionAgeMs: 0,
        maxConnectionAgeGraceMs: 10000,
        keepaliveTimeMs: 30000,
        keepaliveTimeoutMs: 10000,
        maxSubscribedNamesPerType: 100_000,
        maxSubscribedNamesPerStream: 250_000,
        maxUnknownTypeUrls: 16,
        maxNackMessageBytes: 4096,
        debugEndpointAuth: true,
      },
      logLevel: 'info',
    });
  });

  it('takes gateway DNS servers as ip:port and names what is wrong with a bad one', () => {
    expect(MeshpilotConfigSchema.parse({ gatewayDns: { servers: ['127.0.0.1:5353', '[::1]:53'] } }).gatewayDns).toEqual(
      { servers: ['127.0.0.1:5353', '[::1]:53'], minTtlMs: 30_000, maxTtlMs: 3_600_000, timeoutMs: 5_000 },
    );
    const result = MeshpilotConfigSchema.safeParse({ gatewayDns: { servers: ['dns.example.com:53', '10.0.0.1'] } });
    const issues = result.success ? [] : result.error.issues;
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['gatewayDns.servers.0', '"dns.example.com" is not an IP address (a DNS server is given by IP and port)'],
      ['gatewayDns.servers.1', expect.stringContaining('"10.0.0.1" has no port')],
    ]);
    expect(issues.map((i) => (i as { params?: { code?: string } }).params?.code)).toEqual([
      'MESHPILOT_ERR_CONFIG_BAD_ADDRESS',
      'MESHPILOT_ERR_CONFIG_BAD_ADDRESS',
    ]);
  });

  it('fills nested defaults inside partly given objects', () => {
    const config = MeshpilotConfigSchema.parse({
      listen: { admin: '127.0.0.1:9' },
      debounce: { maxMs: 5000 },
      remoteSecrets: { cluster: 'cluster-a' },
      meshNetworks: { networks: { group20: { gateways: [{ address: '10.64.31.204' }] } } },
    });
    expect(config.listen).toEqual({ xds: '0.0.0.0:15010', xdsTls: '0.0.0.0:15012', admin: '127.0.0.1:9' });
    expect(config.debounce).toEqual({ quietMs: 100, maxMs: 5000 });
    expect(config.remoteSecrets).toEqual({ cluster: 'cluster-a', namespace: 'istio-system' });
    expect(config.meshNetworks.networks['group20']).toEqual({
      endpoints: [],
      gateways: [{ address: '10.64.31.204', port: 15443 }],
    });
  });

  it('turns plaintext xDS off with "off" or false, but not the other listeners', () => {
    expect(MeshpilotConfigSchema.parse({ listen: { xds: 'off' } }).listen.xds).toBe(false);
    expect(MeshpilotConfigSchema.parse({ listen: { xds: false } }).listen.xds).toBe(false);
    expect(issuesOf({ listen: { xdsTls: 'off', admin: false } })).toEqual([
      { path: 'listen.xdsTls', code: 'custom' },
      { path: 'listen.admin', code: 'invalid_type' },
    ]);
    expect(issuesOf({ listen: { xds: true } })).toEqual([{ path: 'listen.xds', code: 'invalid_union' }]);
  });

  it('needs exactly one of kubeconfig or manifests per cluster and narrows the output type', () => {
    const config = MeshpilotConfigSchema.parse({
      clusters: [
        { name: 'cluster-a', kubeconfig: 'a.kubeconfig' },
        { name: 'cluster-b', network: 'group30', manifests: './b/' },
      ],
    });
    const described = config.clusters.map((c: KubeClusterConfig) =>
      c.kubeconfig !== undefined ? `kube:${c.kubeconfig}` : `files:${c.manifests}`,
    );
    expect(described).toEqual(['kube:a.kubeconfig', 'files:./b/']);
    expect(config.clusters[1]).toEqual({ name: 'cluster-b', network: 'group30', manifests: './b/' });
    expect(issuesOf({ clusters: [{ name: 'a' }, { name: 'b', kubeconfig: 'k', manifests: 'm' }] })).toEqual([
      { path: 'clusters.0', code: 'custom' },
      { path: 'clusters.1', code: 'custom' },
    ]);
  });

  it('needs exactly one of each config source, network endpoint and gateway form', () => {
    expect(issuesOf({ config: [{}, { manifests: 'x', cluster: 'y' }] })).toEqual([
      { path: 'config.0', code: 'custom' },
      { path: 'config.1', code: 'custom' },
    ]);
    const networks = { n: { endpoints: [{ fromRegistry: 'a', fromCidr: '10.0.0.0/8' }], gateways: [{ port: 15443 }] } };
    expect(issuesOf({ meshNetworks: { networks } })).toEqual([
      { path: 'meshNetworks.networks.n.endpoints.0', code: 'custom' },
      { path: 'meshNetworks.networks.n.gateways.0', code: 'custom' },
    ]);
  });

  it('accepts the Istio MeshNetworks forms', () => {
    const networks = {
      group20: {
        endpoints: [{ fromRegistry: 'cluster-a' }, { fromCidr: '192.192.0.0/16' }],
        gateways: [{ address: 'gw.example.com', port: 443, locality: 'cn/shanghai-20' }],
      },
      group30: { gateways: [{ registryServiceName: 'istio-eastwestgateway.istio-system.svc.cluster.local' }] },
    };
    const parsed = MeshpilotConfigSchema.parse({ meshNetworks: { networks } }).meshNetworks.networks;
    expect(parsed['group20']?.endpoints).toEqual([{ fromRegistry: 'cluster-a' }, { fromCidr: '192.192.0.0/16' }]);
    expect(parsed['group30']?.gateways).toEqual([
      { registryServiceName: 'istio-eastwestgateway.istio-system.svc.cluster.local', port: 15443 },
    ]);
  });

  it('accepts registry settings, fills their defaults and rejects bad ones by path', () => {
    expect(MeshpilotConfigSchema.parse({ registry: { resyncMs: 0, unreachablePolicy: 'drop' } }).registry).toEqual({
      resyncMs: 0,
      unreachablePolicy: 'drop',
      dropAfterMs: 600000,
    });
    expect(
      issuesOf({ registry: { resyncMs: -5, unreachablePolicy: 'forget', dropAfterMs: 1.5, extra: true } }),
    ).toEqual([
      { path: 'registry.resyncMs', code: 'too_small' },
      { path: 'registry.unreachablePolicy', code: 'invalid_value' },
      { path: 'registry.dropAfterMs', code: 'invalid_type' },
      { path: 'registry', code: 'unrecognized_keys' },
    ]);
  });

  it("reads mesh.localityLbSetting with Istio's rules and refuses the MeshConfig fields it does not implement", () => {
    const setting = { distribute: [{ from: 'region1/*', to: { 'region1/*': 80, 'region2/*': 20 } }] };
    expect(MeshpilotConfigSchema.parse({ mesh: { localityLbSetting: setting } }).mesh).toEqual({
      localityLbSetting: setting,
    });
    expect(
      issuesOf({ mesh: { localityLbSetting: { distribute: [{ from: 'region1/*', to: { 'region1/*': 50 } }] } } }),
    ).toEqual([{ path: 'mesh.localityLbSetting.distribute.0.to', code: 'custom' }]);
    expect(issuesOf({ mesh: { defaultConfig: {} } })).toEqual([{ path: 'mesh', code: 'unrecognized_keys' }]);
    expect(MeshpilotConfigSchema.parse({ mesh: { trustDomainAliases: ['old-td.local'] } }).mesh).toEqual({
      trustDomainAliases: ['old-td.local'],
    });
    expect(MeshpilotConfigSchema.parse({ mesh: { connectTimeout: '2.5s' } }).mesh).toEqual({ connectTimeout: 2500 });
    expect(issuesOf({ mesh: { connectTimeout: '10' } })).toEqual([{ path: 'mesh.connectTimeout', code: 'custom' }]);
    expect(issuesOf({ mesh: { trustDomainAliases: ['Bad Domain'] } })).toEqual([
      { path: 'mesh.trustDomainAliases.0', code: 'custom' },
    ]);
    expect(
      issuesOf({
        mesh: { serviceSettings: [{ settings: { clusterLocal: true }, hosts: ['*.demo.svc.cluster.local', 'a b'] }] },
      }),
    ).toEqual([{ path: 'mesh.serviceSettings.0.hosts.1', code: 'custom' }]);
  });

  it('rejects unknown keys at every level', () => {
    expect(
      issuesOf({
        extra: 1,
        listen: { grpc: 'x' },
        debounce: { quiet: 1 },
        clusters: [{ name: 'a', manifests: 'm', locality: 'x' }],
      }),
    ).toEqual([
      { path: 'listen', code: 'unrecognized_keys' },
      { path: 'clusters.0', code: 'unrecognized_keys' },
      { path: 'debounce', code: 'unrecognized_keys' },
      { path: '', code: 'unrecognized_keys' },
    ]);
  });

  it('rejects bad values', () => {
    expect(
      issuesOf({
        clusters: [{ name: 'Cluster_A', manifests: 'm' }],
        meshNetworks: {
          networks: {
            n: {
              endpoints: [{ fromCidr: '10.0.0.0/40' }],
              gateways: [{ address: 'gw', port: 0 }, { address: 'not an address' }],
            },
          },
        },
        debounce: { quietMs: -1, maxMs: 2.5 },
        readiness: { remoteClusterTimeoutMs: 2 ** 31 },
        logLevel: 'verbose',
        trustDomain: 'Cluster Local',
        domainSuffix: 'cluster..local',
      }).map((i) => i.path),
    ).toEqual([
      'trustDomain',
      'domainSuffix',
      'clusters.0.name',
      'meshNetworks.networks.n.endpoints.0.fromCidr',
      'meshNetworks.networks.n.gateways.0.port',
      'meshNetworks.networks.n.gateways.1.address',
      'debounce.quietMs',
      'debounce.maxMs',
      'readiness.remoteClusterTimeoutMs',
      'logLevel',
    ]);
  });
});
