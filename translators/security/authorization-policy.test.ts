import { Metadata } from '@grpc/grpc-js';
import { parseConfig } from '@grpc/grpc-js-xds/build/src/rbac.js';
import { describe, expect, it } from 'vitest';
import { encodeMessage, type ProtoObject } from '../../protos/any.ts';
import { lookupMessage } from '../../protos/load.ts';
import { LISTENER_TYPE } from '../../protos/type-urls.ts';
import type { AuthorizationPolicySpec, IstioConfig } from '../../model/istio/types.ts';
import { translateAll } from '../index.ts';
import { onTheWire } from '../test-support/golden.ts';
import { istioObject, withIstioConfig } from '../test-support/istio-config.ts';
import { richView } from '../test-support/rich-snapshot.ts';
import { AUTHORIZATION_POLICIES, PEER_AUTHENTICATIONS, securedRichSnapshot } from '../test-support/secured-snapshot.ts';
import { AUTHZ_UNSUPPORTED, authorizationPolicyIssues, workloadRbac, type RbacTarget } from './authorization-policy.ts';
import { httpRbacFilters } from './rbac-filters.ts';
import type { WorkloadScope } from './workload-scope.ts';

const SCOPE: WorkloadScope = { namespace: 'default', labels: { app: 'app' }, rootNamespace: 'istio-system' };
const ap = (namespace: string, name: string, spec: AuthorizationPolicySpec): IstioConfig<'AuthorizationPolicy'> =>
  istioObject('AuthorizationPolicy', namespace, name, spec);

interface Request {
  readonly peer?: string;
  readonly sourceIp?: string;
  readonly port?: number;
  readonly path?: string;
  readonly headers?: Record<string, string>;
}

/**
 * Decides a request with grpc-js-xds's own RBAC engine over what we emit (encoded, decoded the way
 * grpc-js-xds decodes it), chaining the filters as a server does: every one must let it through.
 */
function allowed(
  policies: IstioConfig<'AuthorizationPolicy'>[],
  request: Request,
  target: RbacTarget = 'http',
): boolean {
  const rbacType = lookupMessage('envoy.extensions.filters.http.rbac.v3.RBAC');
  const filters = httpRbacFilters(workloadRbac(policies, SCOPE, target), true);
  return filters.every((filter) => {
    const { '@type': _type, ...fields } = filter.typed_config as ProtoObject;
    const bytes = encodeMessage('type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', fields);
    const decoded = rbacType.toObject(rbacType.decode(bytes), {
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    }) as { rules: Parameters<typeof parseConfig>[0] };
    const headers = new Metadata();
    headers.set(':method', 'POST');
    for (const [k, v] of Object.entries(request.headers ?? {})) headers.set(k, v);
    const path = request.path ?? '/helloworld.Greeter/SayHello';
    return parseConfig(decoded.rules).apply({
      destinationIp: '10.1.0.5',
      destinationPort: request.port ?? 9000,
      sourceIp: request.sourceIp ?? '10.1.0.9',
      headers,
      tls: request.peer !== undefined,
      peerCertificate:
        request.peer === undefined ? null : ({ subjectaltname: `URI:spiffe://${request.peer}`, subject: {} } as never),
      urlPath: path,
    });
  });
}

describe('AuthorizationPolicy → RBAC, decided by grpc-js-xds’s RBAC engine', () => {
  const meshAllow = ap('istio-system', 'mesh-allow', {
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
        ],
        to: [
          {
            operation: { ports: ['9000'], paths: ['/helloworld.Greeter/*'], notPaths: ['*/Admin'], methods: ['POST'] },
          },
        ],
      },
    ],
  });

  it('no policy allows everything', () => {
    expect(allowed([], {})).toBe(true);
  });

  it('ALLOW: principal wildcard and notPrincipals, ports, paths and notPaths, methods', () => {
    expect(allowed([meshAllow], { peer: 'cluster.local/ns/default/sa/client' })).toBe(true);
    expect(allowed([meshAllow], { peer: 'cluster.local/ns/default/sa/banned' })).toBe(false);
    expect(allowed([meshAllow], { peer: 'cluster.local/ns/other/sa/client' })).toBe(false);
    expect(allowed([meshAllow], {})).toBe(false);
    expect(
      allowed([meshAllow], { peer: 'cluster.local/ns/default/sa/client', path: '/helloworld.Greeter/Admin' }),
    ).toBe(false);
    expect(allowed([meshAllow], { peer: 'cluster.local/ns/default/sa/client', port: 9001 })).toBe(false);
  });

  it('DENY runs before ALLOW: namespaces (regex on the principal), notNamespaces, ipBlocks', () => {
    const deny = ap('default', 'deny', {
      action: 'DENY',
      rules: [{ from: [{ source: { namespaces: ['default'], ipBlocks: ['10.9.0.0/16'] } }] }],
    });
    expect(allowed([meshAllow, deny], { peer: 'cluster.local/ns/default/sa/client' })).toBe(true);
    expect(allowed([meshAllow, deny], { peer: 'cluster.local/ns/default/sa/client', sourceIp: '10.9.3.4' })).toBe(
      false,
    );
    const notNs = ap('default', 'not-ns', {
      action: 'DENY',
      rules: [{ from: [{ source: { notNamespaces: ['default', 'team-*'] } }] }],
    });
    expect(allowed([notNs], { peer: 'cluster.local/ns/team-a/sa/x' })).toBe(true);
    expect(allowed([notNs], { peer: 'cluster.local/ns/evil/sa/x' })).toBe(false);
    expect(allowed([notNs], { peer: 'cluster.local/ns/defaultx/sa/x' })).toBe(false);
  });

  it('when conditions: request headers and source.principal', () => {
    const policy = ap('default', 'headers', {
      action: 'ALLOW',
      rules: [
        {
          when: [
            { key: 'request.headers[x-tenant]', values: ['blue'] },
            { key: 'source.principal', notValues: ['cluster.local/ns/default/sa/banned'] },
          ],
        },
      ],
    });
    expect(allowed([policy], { peer: 'cluster.local/ns/default/sa/a', headers: { 'x-tenant': 'blue' } })).toBe(true);
    expect(allowed([policy], { peer: 'cluster.local/ns/default/sa/a', headers: { 'x-tenant': 'red' } })).toBe(false);
    expect(allowed([policy], { peer: 'cluster.local/ns/default/sa/banned', headers: { 'x-tenant': 'blue' } })).toBe(
      false,
    );
  });

  it('an ALLOW policy without rules denies everything; an empty DENY rule denies everything', () => {
    expect(allowed([ap('default', 'nothing', { action: 'ALLOW' })], { peer: 'cluster.local/ns/default/sa/a' })).toBe(
      false,
    );
    expect(
      allowed([ap('default', 'all', { action: 'DENY', rules: [{}] })], { peer: 'cluster.local/ns/default/sa/a' }),
    ).toBe(false);
  });

  it('applies policies of the root namespace and the workload’s own, with matching selectors only', () => {
    const denyAll = (namespace: string, matchLabels?: Record<string, string>) =>
      ap(namespace, 'deny-all', { action: 'DENY', rules: [{}], ...(matchLabels ? { selector: { matchLabels } } : {}) });
    expect(allowed([denyAll('other')], {})).toBe(true);
    expect(allowed([denyAll('default', { app: 'not-app' })], {})).toBe(true);
    expect(allowed([denyAll('default', { app: 'app' })], {})).toBe(false);
    expect(allowed([denyAll('istio-system', { app: 'app' })], {})).toBe(false);
  });

  it('what cannot be translated: an ALLOW rule is dropped (denies more), a DENY rule loses the field (denies more), each reported', () => {
    const jwtAllow = ap('default', 'jwt', {
      action: 'ALLOW',
      rules: [{ from: [{ source: { requestPrincipals: ['issuer/subject'] } }] }],
    });
    const rbac = workloadRbac([jwtAllow], SCOPE, 'http');
    expect(rbac.allow?.policies).toEqual({});
    expect(rbac.issues).toEqual([
      `${AUTHZ_UNSUPPORTED}: AuthorizationPolicy default/jwt rules[0] (ALLOW): source.requestPrincipals needs request authentication (JWT), which meshpilot does not support; rule dropped`,
    ]);
    expect(allowed([jwtAllow], { peer: 'cluster.local/ns/default/sa/a' })).toBe(false);

    const oddDeny = ap('default', 'odd', {
      action: 'DENY',
      rules: [
        {
          from: [{ source: { principals: ['cluster.local/ns/default/sa/a'] } }],
          when: [{ key: 'request.auth.claims[iss]', values: ['x'] }],
        },
      ],
    });
    expect(allowed([oddDeny], { peer: 'cluster.local/ns/default/sa/a' })).toBe(false);
    expect(allowed([oddDeny], { peer: 'cluster.local/ns/default/sa/b' })).toBe(true);
    expect(workloadRbac([oddDeny], SCOPE, 'http').issues[0]).toContain(
      'when key "request.auth.claims[iss]" is not supported; condition ignored, the rule matches more',
    );
  });

  it('on TCP, HTTP-only fields drop an ALLOW rule and widen a DENY rule (Istio’s TCP semantics)', () => {
    const httpAllow = ap('default', 'http-allow', {
      action: 'ALLOW',
      rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { to: [{ operation: { ports: ['3306'] } }] }],
    });
    const tcp = workloadRbac([httpAllow], SCOPE, 'tcp');
    expect(Object.keys(tcp.allow!.policies)).toEqual(['ns[default]-policy[http-allow]-rule[1]']);
    expect(tcp.issues[0]).toContain('to.operation.methods applies to HTTP only');
    const httpDeny = ap('default', 'http-deny', {
      action: 'DENY',
      rules: [{ to: [{ operation: { ports: ['9000'], paths: ['/admin'] } }] }],
    });
    expect(allowed([httpDeny], { path: '/public' }, 'tcp')).toBe(false);
    expect(allowed([httpDeny], { path: '/public' }, 'http')).toBe(true);
    expect(authorizationPolicyIssues(httpDeny)).toEqual([
      `${AUTHZ_UNSUPPORTED}: AuthorizationPolicy default/http-deny rules[0] (DENY): to.operation.paths applies to HTTP only; this workload port is served as TCP; condition ignored, the rule matches more [sidecar TCP chains]`,
    ]);
  });
});

describe('RBAC filters in the listeners', () => {
  const snapshot = securedRichSnapshot([...PEER_AUTHENTICATIONS, ...AUTHORIZATION_POLICIES]);
  const filterNames = (chain: { filters: { name: string }[] }) => chain.filters.map((f) => f.name);

  it('sidecar virtualInbound: network RBAC AUDIT, DENY, ALLOW before tcp_proxy on every chain reaching the app, none on refused chains', () => {
    const listener = onTheWire(
      translateAll(LISTENER_TYPE, snapshot, richView()).find((r) => r.name === 'virtualInbound')!,
    ) as {
      filter_chains: { name: string; filters: { name: string }[] }[];
      default_filter_chain: { filters: { name: string }[] };
    };
    const rbacThenProxy = [
      'envoy.filters.network.rbac.audit',
      'envoy.filters.network.rbac.deny',
      'envoy.filters.network.rbac.allow',
      'envoy.filters.network.tcp_proxy',
    ];
    for (const chain of listener.filter_chains) {
      const refused = chain.name.endsWith('-refused') || chain.name === 'virtualInbound-blackhole';
      expect(filterNames(chain), chain.name).toEqual(refused ? ['envoy.filters.network.tcp_proxy'] : rbacThenProxy);
    }
    expect(filterNames(listener.default_filter_chain)).toEqual(rbacThenProxy);
  });

  it('proxyless gRPC server: HTTP RBAC DENY then ALLOW before the router, no AUDIT (gRPC has no LOG action)', () => {
    const listener = onTheWire(
      translateAll(LISTENER_TYPE, snapshot, richView({ generator: 'grpc' })).find((r) =>
        r.name.endsWith('/inbound/10.1.0.5:9000'),
      )!,
    ) as {
      filter_chains: { filters: { typed_config: { http_filters: { name: string }[] } }[] }[];
    };
    expect(listener.filter_chains[0]!.filters[0]!.typed_config.http_filters.map((f) => f.name)).toEqual([
      'envoy.filters.http.rbac.deny',
      'envoy.filters.http.rbac.allow',
      'envoy.filters.http.router',
    ]);
  });

  it('no AuthorizationPolicy: no RBAC filter anywhere', () => {
    const plain = withIstioConfig(snapshot, []);
    const text =
      JSON.stringify(translateAll(LISTENER_TYPE, plain, richView()).map(onTheWire)) +
      JSON.stringify(translateAll(LISTENER_TYPE, plain, richView({ generator: 'grpc' })).map(onTheWire));
    expect(text).not.toContain('rbac');
  });
});
