import type { AnyIstioConfig } from '../../model/istio/types.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { istioObject, withIstioConfig, withPodLabels } from './istio-config.ts';
import { RICH_APP_IP, richSnapshot } from './rich-snapshot.ts';

/**
 * Test support: the rich mesh with security and telemetry config on its app workload (labels
 * app=app, version=v1): every PeerAuthentication mode across ports. Golden files and the
 * all-resources check use it.
 */
export const PEER_AUTHENTICATIONS: readonly AnyIstioConfig[] = [
  istioObject('PeerAuthentication', 'istio-system', 'mesh', { mtls: { mode: 'STRICT' } }),
  istioObject('PeerAuthentication', 'default', 'app-ports', {
    selector: { matchLabels: { app: 'app' } },
    portLevelMtls: { '3306': { mode: 'DISABLE' }, '8080': { mode: 'PERMISSIVE' } },
  }),
];

export const AUTHORIZATION_POLICIES: readonly AnyIstioConfig[] = [
  istioObject('AuthorizationPolicy', 'istio-system', 'mesh-allow', {
    action: 'ALLOW',
    rules: [
      {
        from: [
          {
            source: {
              principals: ['cluster.local/ns/default/sa/*'],
              notPrincipals: ['cluster.local/ns/default/sa/banned'],
            },
          },
          { source: { ipBlocks: ['10.0.0.0/8', '192.0.2.7'] } },
        ],
        to: [
          {
            operation: { ports: ['9000'], methods: ['POST'], paths: ['/helloworld.Greeter/*'], notPaths: ['*/Admin'] },
          },
        ],
        when: [{ key: 'request.headers[x-tenant]', values: ['blue', 'green*'] }],
      },
      { from: [{ source: { namespaces: ['ops', 'team-*'] } }], to: [{ operation: { ports: ['3306', '8080'] } }] },
    ],
  }),
  istioObject('AuthorizationPolicy', 'default', 'app-deny', {
    selector: { matchLabels: { app: 'app' } },
    action: 'DENY',
    rules: [
      { from: [{ source: { notNamespaces: ['default', 'ops'] } }], to: [{ operation: { notPorts: ['8080'] } }] },
      {
        to: [{ operation: { paths: ['/admin*'], hosts: ['*.internal'] } }],
        when: [{ key: 'source.ip', notValues: ['10.1.0.0/16'] }],
      },
    ],
  }),
  istioObject('AuthorizationPolicy', 'default', 'app-audit', {
    selector: { matchLabels: { app: 'app' } },
    action: 'AUDIT',
    rules: [{ to: [{ operation: { ports: ['3306'] } }] }],
  }),
  istioObject('AuthorizationPolicy', 'other', 'not-for-app', { action: 'DENY', rules: [{}] }),
];

/** The seed talk's Telemetry (source_cluster / destination_cluster per mode), mesh-wide. */
export const SEED_TELEMETRY = istioObject('Telemetry', 'istio-system', 'mesh-default', {
  metrics: [
    {
      providers: [{ name: 'prometheus' }],
      overrides: [
        {
          match: { mode: 'CLIENT' },
          tagOverrides: {
            destination_cluster: { operation: 'UPSERT', value: 'upstream_peer.cluster_id' },
            source_cluster: { operation: 'UPSERT', value: "node.metadata['CLUSTER_ID']" },
          },
        },
        {
          match: { mode: 'SERVER' },
          tagOverrides: {
            destination_cluster: { operation: 'UPSERT', value: "node.metadata['CLUSTER_ID']" },
            source_cluster: { operation: 'UPSERT', value: 'downstream_peer.cluster_id' },
          },
        },
      ],
    },
  ],
});

export const TELEMETRIES: readonly AnyIstioConfig[] = [
  SEED_TELEMETRY,
  istioObject('Telemetry', 'default', 'app-metrics', {
    selector: { matchLabels: { app: 'app' } },
    metrics: [
      {
        overrides: [
          {
            match: { metric: 'REQUEST_COUNT', mode: 'SERVER' },
            tagOverrides: { request_protocol: { operation: 'REMOVE' } },
          },
          { match: { metric: 'TCP_SENT_BYTES' }, disabled: true },
        ],
      },
    ],
  }),
];

export const SECURED_CONFIG: readonly AnyIstioConfig[] = [
  ...PEER_AUTHENTICATIONS,
  ...AUTHORIZATION_POLICIES,
  ...TELEMETRIES,
];

export function securedRichSnapshot(config: readonly AnyIstioConfig[] = SECURED_CONFIG): MeshSnapshot {
  return withIstioConfig(withPodLabels(richSnapshot(), RICH_APP_IP, { app: 'app', version: 'v1' }), config);
}
