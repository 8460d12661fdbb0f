import { describe, expect, it } from 'vitest';
import { validateIstioObject } from './validate.ts';
import { accepted, errorsOf } from './validate-test-support.ts';

const subset = (name: string, labels: Record<string, string> = { version: name }) => ({ name, labels });
const lb = (loadBalancer: unknown) => ({ host: 'reviews', trafficPolicy: { loadBalancer } });

describe('DestinationRule validation', () => {
  it('accepts the examples of Istio docs: subsets, LB, connection pool, outlier detection, TLS, locality, port settings', () => {
    const config = accepted(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo, resourceVersion: "42", generation: 3}
spec:
  host: reviews.bookinfo.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
      localityLbSetting:
        enabled: true
        failover: [{from: us-east, to: eu-west}]
        failoverPriority: [topology.istio.io/network, topology.kubernetes.io/region]
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 30ms, tcpKeepalive: {time: 7200s, interval: 75s}}
      http: {http2MaxRequests: 1000, maxRequestsPerConnection: 1, idleTimeout: 1h}
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 100}
    tls: {mode: ISTIO_MUTUAL, sni: reviews.bookinfo.svc.cluster.local}
    portLevelSettings:
    - port: {number: 80}
      loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 0s}}}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        localityLbSetting:
          distribute:
          - from: us-west/zone1/*
            to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}
`);
    expect(config.meta).toMatchObject({ resourceVersion: '42', generation: 3 });
    if (config.kind !== 'DestinationRule') throw new Error('expected a DestinationRule');
    const { trafficPolicy, subsets } = config.spec;
    expect(trafficPolicy?.connectionPool).toEqual({
      tcp: { maxConnections: 100, connectTimeout: 30 },
      http: { http2MaxRequests: 1000, maxRequestsPerConnection: 1, idleTimeout: 3_600_000 },
    });
    expect(trafficPolicy?.outlierDetection).toEqual({
      consecutive5xxErrors: 7,
      interval: 300_000,
      baseEjectionTime: 900_000,
      maxEjectionPercent: 100,
    });
    expect(trafficPolicy?.portLevelSettings?.[0]?.loadBalancer?.consistentHash).toEqual({
      httpCookie: { name: 'user', ttl: 0 },
    });
    expect(trafficPolicy?.loadBalancer?.localityLbSetting?.failoverPriority).toEqual([
      'topology.istio.io/network',
      'topology.kubernetes.io/region',
    ]);
    expect(subsets?.map((s) => s.name)).toEqual(['v1', 'v2']);
    expect(subsets?.[1]?.trafficPolicy?.loadBalancer?.localityLbSetting?.distribute?.[0]?.to).toEqual({
      'us-west/zone1/*': 80,
      'us-west/zone2/*': 20,
    });
  });

  it('accepts MUTUAL TLS with files, and consistent hashing on a header', () => {
    expect(
      errorsOf('DestinationRule', {
        host: 'db.example.com',
        trafficPolicy: {
          tls: { mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem' },
          loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } },
        },
      }),
    ).toEqual([]);
  });

  it.each([
    [
      'duplicate subset names',
      { host: 'reviews', subsets: [subset('v1'), subset('v1')] },
      'spec.subsets[1].name: duplicate subset name "v1" (first at subsets[0])',
    ],
    [
      'a subset without labels',
      { host: 'reviews', subsets: [{ name: 'v1' }] },
      'spec.subsets[0].labels: a subset needs at least one label to select its endpoints',
    ],
    [
      'a subset name that is not a DNS label',
      { host: 'reviews', subsets: [subset('V1')] },
      'spec.subsets[0].name: expected a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters',
    ],
    [
      'a label value with spaces',
      { host: 'reviews', subsets: [subset('v1', { version: 'v 1' })] },
      'spec.subsets[0].labels.version: invalid label value "v 1": letters, digits, "-", "_", ".", at most 63, starting and ending alphanumeric',
    ],
    [
      'an unknown simple LB',
      lb({ simple: 'FASTEST' }),
      'spec.trafficPolicy.loadBalancer.simple: expected one of "UNSPECIFIED", "LEAST_CONN", "ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH"; got "FASTEST"',
    ],
    [
      'simple and consistentHash together',
      lb({ simple: 'RANDOM', consistentHash: { useSourceIp: true } }),
      'spec.trafficPolicy.loadBalancer: cannot set both "simple" and "consistentHash"',
    ],
    [
      'a consistent hash without a key',
      lb({ consistentHash: { minimumRingSize: 1024 } }),
      'spec.trafficPolicy.loadBalancer.consistentHash: needs exactly one hash key of httpHeaderName, httpCookie, useSourceIp (true) or httpQueryParameterName, got none',
    ],
    [
      'distribute weights that do not sum to 100',
      lb({ localityLbSetting: { distribute: [{ from: 'a/b/*', to: { 'a/b/*': 60, 'a/c/*': 30 } }] } }),
      'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: weights sum to 90, expected 100',
    ],
    [
      'distribute and failover together',
      lb({ localityLbSetting: { distribute: [{ from: 'a', to: { a: 100 } }], failover: [{ from: 'a', to: 'b' }] } }),
      'spec.trafficPolicy.loadBalancer.localityLbSetting: cannot set both "distribute" and "failover"',
    ],
    [
      'failover to the same region',
      lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'us-east' }] } }),
      'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]: "from" and "to" must be different regions, both are "us-east"',
    ],
    [
      'failover between zones',
      lb({ localityLbSetting: { failover: [{ from: 'us-east/z1', to: 'us-west' }] } }),
      'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].from: failover is between regions: expected a region name without "/" or "*", got "us-east/z1"',
    ],
    [
      'a wildcard in the middle of a locality',
      lb({ localityLbSetting: { distribute: [{ from: 'a/*/c', to: { a: 100 } }] } }),
      'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from: locality "a/*/c": only the last part may be "*", and parts must not be empty',
    ],
    [
      'a max ejection percent above 100',
      { host: 'r', trafficPolicy: { outlierDetection: { maxEjectionPercent: 120 } } },
      'spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be <= 100, got 120',
    ],
    [
      'a zero outlier interval',
      { host: 'r', trafficPolicy: { outlierDetection: { interval: '0s' } } },
      'spec.trafficPolicy.outlierDetection.interval: must be at least 1ms, got "0s"',
    ],
    [
      'a negative connection limit',
      { host: 'r', trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: -1 } } } },
      'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection: must be >= 0, got -1',
    ],
    [
      'MUTUAL TLS without a client certificate',
      { host: 'r', trafficPolicy: { tls: { mode: 'MUTUAL', privateKey: '/k.pem' } } },
      'spec.trafficPolicy.tls.clientCertificate: required for mode MUTUAL (or set credentialName)',
    ],
    [
      'an unknown TLS mode',
      { host: 'r', trafficPolicy: { tls: { mode: 'STRICT' } } },
      'spec.trafficPolicy.tls.mode: expected one of "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"; got "STRICT"',
    ],
    [
      'duplicate port-level settings',
      { host: 'r', trafficPolicy: { portLevelSettings: [{ port: { number: 80 } }, { port: { number: 80 } }] } },
      'spec.trafficPolicy.portLevelSettings[1].port.number: duplicate port 80',
    ],
    ['a missing host', { subsets: [subset('v1')] }, 'spec.host: required: expected a string'],
    ['exportTo with a duplicate', { host: 'r', exportTo: ['.', '.'] }, 'spec.exportTo[1]: duplicate entry "."'],
    [
      'exportTo mixing "*" with namespaces',
      { host: 'r', exportTo: ['*', 'ns1'] },
      'spec.exportTo: "*" and "~" cannot be combined with other entries',
    ],
  ])('rejects %s, naming the field', (_what, spec, expected) => {
    expect(errorsOf('DestinationRule', spec)).toContainEqual(expected);
  });

  it('rejects an API version meshpilot does not read', () => {
    const result = validateIstioObject(
      { apiVersion: 'networking.istio.io/v2', kind: 'DestinationRule', metadata: { name: 'r' }, spec: { host: 'r' } },
      { type: 'kube', kubeCluster: 'c' },
    );
    expect(result).toEqual({
      valid: false,
      errors: [
        'apiVersion: expected one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3, got "networking.istio.io/v2"',
      ],
    });
  });
});

describe('WorkloadEntry validation', () => {
  it('accepts an IP, an FQDN, and no address with a network', () => {
    expect(errorsOf('WorkloadEntry', { address: '10.0.0.1', labels: { app: 'vm' }, ports: { http: 8080 } })).toEqual(
      [],
    );
    expect(errorsOf('WorkloadEntry', { address: 'vm.example.com', serviceAccount: 'vm' })).toEqual([]);
    expect(errorsOf('WorkloadEntry', { network: 'vm-net', locality: 'r1/z1', weight: 3 })).toEqual([]);
  });

  it.each([
    ['no address and no network', {}, 'spec.address: address is required'],
    ['an address that is neither IP nor FQDN', { address: 'not an address' }, 'is not a valid FQDN or an IP address'],
    ['a unix socket with ports', { address: 'unix:///sock', ports: { http: 80 } }, 'must not include ports'],
    ['a port out of range', { address: '10.0.0.1', ports: { http: 70000 } }, 'spec.ports.http'],
  ])('refuses %s', (_what, spec, error) => {
    expect(errorsOf('WorkloadEntry', spec).join('\n')).toContain(error);
  });
});

describe('ServiceEntry and Sidecar validation', () => {
  it('accepts the examples of Istio docs', () => {
    expect(
      errorsOf('ServiceEntry', {
        hosts: ['api.dropboxapi.com', 'www.googleapis.com'],
        ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
        resolution: 'DNS',
        location: 'MESH_EXTERNAL',
      }),
    ).toEqual([]);
    expect(
      errorsOf('ServiceEntry', {
        hosts: ['mymongodb.somedomain'],
        addresses: ['192.192.192.192/24'],
        ports: [{ number: 27018, name: 'mongodb', protocol: 'MONGO' }],
        location: 'MESH_INTERNAL',
        resolution: 'STATIC',
        endpoints: [{ address: '2.2.2.2' }, { address: '3.3.3.3', ports: { mongodb: 27019 } }],
      }),
    ).toEqual([]);
    expect(errorsOf('Sidecar', { egress: [{ hosts: ['./*', 'istio-system/*'] }] })).toEqual([]);
    expect(
      errorsOf('Sidecar', {
        workloadSelector: { labels: { app: 'ratings' } },
        egress: [
          { port: { number: 9080, protocol: 'HTTP', name: 'egresshttp' }, hosts: ['prod-us1/*'] },
          { hosts: ['istio-system/*'] },
        ],
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      }),
    ).toEqual([]);
  });

  it.each([
    ['ServiceEntry', 'no hosts', { hosts: [] }, 'spec.hosts: must have at least 1 items'],
    [
      'ServiceEntry',
      'the wildcard host',
      { hosts: ['*'] },
      'spec.hosts[0]: the wildcard host "*" is not allowed in a ServiceEntry',
    ],
    [
      'ServiceEntry',
      'STATIC endpoints without an IP',
      { hosts: ['a.com'], resolution: 'STATIC', endpoints: [{ address: 'a.com' }] },
      'spec.endpoints[0].address: resolution STATIC needs an IP address, got "a.com"',
    ],
    [
      'ServiceEntry',
      'duplicate port numbers',
      {
        hosts: ['a.com'],
        ports: [
          { number: 80, name: 'a' },
          { number: 80, name: 'b' },
        ],
      },
      'spec.ports[1].number: duplicate port 80',
    ],
    [
      'ServiceEntry',
      'an endpoint port name that is not declared',
      {
        hosts: ['a.com'],
        resolution: 'STATIC',
        ports: [{ number: 80, name: 'http' }],
        endpoints: [{ address: '1.1.1.1', ports: { grpc: 90 } }],
      },
      'spec.endpoints[0].ports.grpc: port "grpc" is not one of the ServiceEntry\'s port names',
    ],
    [
      'ServiceEntry',
      'a CIDR with DNS resolution',
      { hosts: ['a.com'], addresses: ['10.0.0.0/8'], resolution: 'DNS' },
      'spec.addresses: CIDR addresses are allowed only with resolution NONE or STATIC',
    ],
    [
      'Sidecar',
      'a host without a namespace',
      { egress: [{ hosts: ['reviews.default.svc.cluster.local'] }] },
      'spec.egress[0].hosts[0]: expected "namespace/dnsName" (e.g. "./*", "istio-system/*", "*/reviews.default.svc.cluster.local"), got "reviews.default.svc.cluster.local"',
    ],
    [
      'Sidecar',
      'a short host name',
      { egress: [{ hosts: ['default/reviews'] }] },
      'spec.egress[0].hosts[0]: short names are not allowed in "default/reviews": use an FQDN like "reviews.default.svc.cluster.local"',
    ],
    [
      'Sidecar',
      'a catch-all listener before the last',
      { egress: [{ hosts: ['./*'] }, { port: { number: 80 }, hosts: ['./*'] }] },
      'spec.egress[0]: the egress listener without a port (the catch-all) must be the last one',
    ],
    ['Sidecar', 'an empty Sidecar', {}, 'spec: empty Sidecar: set egress or outboundTrafficPolicy'],
  ])('%s: rejects %s', (kind, _what, spec, expected) => {
    expect(errorsOf(kind, spec)).toContainEqual(expected);
  });
});
