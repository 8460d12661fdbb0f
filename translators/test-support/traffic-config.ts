import type { AnyIstioConfig, DestinationRuleSpec } from '../../model/istio/types.ts';
import { istioObject } from './istio-config.ts';

/**
 * Test support: Istio traffic config for the seed mesh (helloworld v1 in cluster-a / group20, v2
 * in cluster-b / group30), one scenario per field group. Golden files and the all-resources check
 * use them.
 */

const HOST = 'helloworld.default.svc.cluster.local';
const SUBSETS = [
  { name: 'v1', labels: { version: 'v1' } },
  { name: 'v2', labels: { version: 'v2' } },
];

const rule = (spec: Omit<DestinationRuleSpec, 'host'>, host = HOST): AnyIstioConfig =>
  istioObject('DestinationRule', 'default', 'helloworld', { host, ...spec });

export const TRAFFIC_SCENARIOS: Readonly<Record<string, readonly AnyIstioConfig[]>> = {
  subsets: [rule({ subsets: SUBSETS }, 'helloworld')],
  lb: [
    rule({
      trafficPolicy: {
        loadBalancer: { simple: 'RANDOM' },
        portLevelSettings: [
          {
            port: { number: 5000 },
            loadBalancer: {
              consistentHash: {
                httpCookie: { name: 'session', path: '/', ttl: 60_000 },
                ringHash: { minimumRingSize: 2048 },
              },
            },
          },
        ],
      },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
      ],
    }),
  ],
  pool: [
    rule({
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 100, connectTimeout: 2_500, maxConnectionDuration: 600_000 },
          http: {
            http1MaxPendingRequests: 10,
            http2MaxRequests: 1_000,
            maxRequestsPerConnection: 1,
            maxRetries: 3,
            idleTimeout: 30_000,
            maxConcurrentStreams: 64,
          },
        },
      },
      subsets: [
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 10 } } },
        },
      ],
    }),
  ],
  outlier: [
    rule({
      trafficPolicy: {
        outlierDetection: {
          consecutive5xxErrors: 7,
          consecutiveGatewayErrors: 3,
          interval: 5_000,
          baseEjectionTime: 30_000,
          maxEjectionPercent: 50,
          minHealthPercent: 0,
        },
      },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: {
            outlierDetection: {
              consecutive5xxErrors: 0,
              splitExternalLocalOriginErrors: true,
              consecutiveLocalOriginFailures: 2,
              minHealthPercent: 25,
            },
          },
        },
      ],
    }),
  ],
  tls: [
    rule({
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'DISABLE' } } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: {
            tls: {
              mode: 'SIMPLE',
              sni: 'hello.example.com',
              caCertificates: '/etc/certs/ca.pem',
              subjectAltNames: ['hello.example.com'],
            },
          },
        },
        {
          name: 'v3',
          labels: { version: 'v3' },
          trafficPolicy: {
            tls: {
              mode: 'MUTUAL',
              clientCertificate: '/etc/certs/cert.pem',
              privateKey: '/etc/certs/key.pem',
              caCertificates: '/etc/certs/ca.pem',
            },
          },
        },
        {
          name: 'v4',
          labels: { version: 'v4' },
          trafficPolicy: {
            tls: {
              mode: 'MUTUAL',
              credentialName: 'hello-credential',
              subjectAltNames: ['spiffe://example.com/ns/a/sa/b'],
            },
          },
        },
      ],
    }),
  ],
  'locality-failover': [
    rule({
      trafficPolicy: {
        outlierDetection: { consecutive5xxErrors: 5 },
        loadBalancer: {
          localityLbSetting: {
            enabled: true,
            failoverPriority: ['topology.istio.io/network', 'topology.kubernetes.io/region'],
          },
        },
      },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: {
            loadBalancer: {
              localityLbSetting: {
                distribute: [{ from: 'cn/*', to: { 'cn/shanghai-20/*': 80, 'cn/shanghai-130/*': 20 } }],
              },
            },
          },
        },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } },
        },
      ],
    }),
  ],
  routes: [
    rule({ subsets: SUBSETS }),
    istioObject('VirtualService', 'default', 'helloworld', {
      hosts: ['helloworld'],
      http: [
        {
          name: 'canary',
          match: [
            {
              name: 'header',
              headers: {
                'X-Canary': { exact: 'true' },
                'x-team': { prefix: 'blue' },
                'x-build': { regex: '^[0-9]+$' },
              },
            },
            {
              name: 'admin',
              uri: { prefix: '/helloworld.Admin/' },
              method: { exact: 'POST' },
              withoutHeaders: { 'x-skip': { exact: '1' } },
              ignoreUriCase: true,
            },
            { name: 'other-port', port: 6000, uri: { exact: '/never' } },
            { name: 'query', uri: { regex: '/helloworld\\.Greeter/.*' }, queryParams: { debug: { exact: 'on' } } },
          ],
          route: [{ destination: { host: 'helloworld', subset: 'v2' } }],
          timeout: 1_500,
          retries: { attempts: 4, perTryTimeout: 500, retryOn: 'unavailable,5xx,503' },
          fault: {
            delay: { fixedDelay: 100, percentage: { value: 0.5 } },
            abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 10 } },
          },
        },
        {
          name: 'split',
          route: [
            { destination: { host: 'helloworld', subset: 'v1' }, weight: 90 },
            {
              destination: { host: 'helloworld.default.svc.cluster.local', subset: 'v2', port: { number: 5000 } },
              weight: 10,
            },
          ],
          retries: { attempts: 0 },
          fault: { abort: { httpStatus: 503 } },
        },
      ],
    }),
  ],
};
