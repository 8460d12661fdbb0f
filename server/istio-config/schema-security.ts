import { z } from 'zod';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec } from '../../model/istio/types.ts';
import { ipOrCidrProblem, issue, unsupported, without, workloadSelector } from './schema-common.ts';

// security.istio.io/v1 PeerAuthentication and AuthorizationPolicy; rules from Istio's
// ValidatePeerAuthentication and ValidateAuthorizationPolicy.

const mtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);

export const PeerAuthenticationSchema = z
  .strictObject({
    selector: workloadSelector.optional(),
    mtls: z.strictObject({ mode: mtlsMode.default('UNSET') }).optional(),
    portLevelMtls: z.record(z.string(), z.strictObject({ mode: mtlsMode.default('UNSET') })).optional(),
  })
  .superRefine((pa, ctx) => {
    if (pa.portLevelMtls === undefined) return;
    const ports = Object.keys(pa.portLevelMtls);
    if (ports.length === 0) issue(ctx, ['portLevelMtls'], 'if set, needs at least one port');
    if (ports.length > 0 && Object.keys(pa.selector?.matchLabels ?? {}).length === 0) {
      issue(
        ctx,
        ['portLevelMtls'],
        'needs a selector with matchLabels: mesh-wide and namespace-wide PeerAuthentications cannot set port-level mTLS',
      );
    }
    for (const port of ports) {
      const number = Number(port);
      if (!/^\d+$/.test(port) || number < 1 || number > 65535)
        issue(ctx, ['portLevelMtls', port], `expected a port number 1..65535 as key, got ${JSON.stringify(port)}`);
    }
  })
  .transform((pa): PeerAuthenticationSpec => pa);

const nonEmptyStrings = (what: string) =>
  z.array(z.string()).superRefine((values, ctx) => {
    values.forEach((value, index) => {
      if (value === '') issue(ctx, [index], `empty value in ${what}`);
    });
  });

const ipBlocks = z.array(z.string()).superRefine((values, ctx) => {
  values.forEach((value, index) => {
    const problem = ipOrCidrProblem(value);
    if (problem !== undefined) issue(ctx, [index], problem);
  });
});

const ports = z.array(z.string()).superRefine((values, ctx) => {
  values.forEach((value, index) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < 1 || number > 65535)
      issue(ctx, [index], `expected a port number 1..65535 (as a string), got ${JSON.stringify(value)}`);
  });
});

const source = z
  .strictObject({
    principals: nonEmptyStrings('principals').optional(),
    notPrincipals: nonEmptyStrings('notPrincipals').optional(),
    requestPrincipals: nonEmptyStrings('requestPrincipals').optional(),
    notRequestPrincipals: nonEmptyStrings('notRequestPrincipals').optional(),
    namespaces: nonEmptyStrings('namespaces').optional(),
    notNamespaces: nonEmptyStrings('notNamespaces').optional(),
    ipBlocks: ipBlocks.optional(),
    notIpBlocks: ipBlocks.optional(),
    remoteIpBlocks: ipBlocks.optional(),
    notRemoteIpBlocks: ipBlocks.optional(),
    serviceAccounts: unsupported('source.serviceAccounts'),
    notServiceAccounts: unsupported('source.notServiceAccounts'),
  })
  .superRefine((s, ctx) => {
    if (Object.values(s).every((v) => v === undefined || (Array.isArray(v) && v.length === 0)))
      issue(ctx, [], 'must not be empty: set principals, namespaces, ipBlocks or their not- forms');
  })
  .transform((s) => without(s, ['serviceAccounts', 'notServiceAccounts']));

const operation = z
  .strictObject({
    hosts: nonEmptyStrings('hosts').optional(),
    notHosts: nonEmptyStrings('notHosts').optional(),
    ports: ports.optional(),
    notPorts: ports.optional(),
    methods: nonEmptyStrings('methods').optional(),
    notMethods: nonEmptyStrings('notMethods').optional(),
    paths: nonEmptyStrings('paths').optional(),
    notPaths: nonEmptyStrings('notPaths').optional(),
  })
  .superRefine((o, ctx) => {
    if (Object.values(o).every((v) => v === undefined || v.length === 0))
      issue(ctx, [], 'must not be empty: set hosts, ports, methods, paths or their not- forms');
  });

const CONDITION_KEYS = [
  /^source\.(ip|remote\.ip|namespace|principal)$/,
  /^request\.auth\.(principal|audiences|presenter)$/,
  /^request\.auth\.claims\[.+\]$/,
  /^request\.headers\[.+\]$/,
  /^destination\.(ip|port)$/,
  /^connection\.sni$/,
  /^experimental\.envoy\.filters\..+$/,
];

const condition = z
  .strictObject({
    key: z.string(),
    values: nonEmptyStrings('values').optional(),
    notValues: nonEmptyStrings('notValues').optional(),
  })
  .superRefine((c, ctx) => {
    if (!CONDITION_KEYS.some((pattern) => pattern.test(c.key))) {
      issue(
        ctx,
        ['key'],
        `unknown condition key ${JSON.stringify(c.key)}; expected e.g. source.ip, source.namespace, source.principal, request.headers[name], destination.port, connection.sni`,
      );
      return;
    }
    if ((c.values?.length ?? 0) === 0 && (c.notValues?.length ?? 0) === 0)
      issue(ctx, [], `needs values or notValues for key ${c.key}`);
    for (const field of ['values', 'notValues'] as const) {
      c[field]?.forEach((value, index) => {
        if (/^(source\.(ip|remote\.ip)|destination\.ip)$/.test(c.key)) {
          const problem = ipOrCidrProblem(value);
          if (problem !== undefined) issue(ctx, [field, index], problem);
        }
        if (c.key === 'destination.port' && !(/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535)) {
          issue(ctx, [field, index], `expected a port number 1..65535, got ${JSON.stringify(value)}`);
        }
      });
    }
  });

const rule = z
  .strictObject({
    from: z.array(z.strictObject({ source })).optional(),
    to: z.array(z.strictObject({ operation })).optional(),
    when: z.array(condition).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.from !== undefined && r.from.length === 0) issue(ctx, ['from'], 'if set, must not be empty');
    if (r.to !== undefined && r.to.length === 0) issue(ctx, ['to'], 'if set, must not be empty');
  });

export const AuthorizationPolicySchema = z
  .strictObject({
    selector: workloadSelector.optional(),
    action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).default('ALLOW'),
    rules: z.array(rule).optional(),
    provider: unsupported('provider (CUSTOM authorization)'),
    targetRef: unsupported('targetRef'),
    targetRefs: unsupported('targetRefs'),
  })
  .superRefine((policy, ctx) => {
    if (policy.action === 'CUSTOM')
      issue(ctx, ['action'], 'CUSTOM is not supported by meshpilot yet (MESHPILOT_ERR_ISTIO_CONFIG_UNSUPPORTED)');
    if (policy.action === 'DENY' && (policy.rules === undefined || policy.rules.length === 0)) {
      issue(ctx, ['rules'], 'a DENY policy without rules never matches; add an empty rule `{}` to deny every request');
    }
  })
  .transform((policy, ctx): AuthorizationPolicySpec => {
    const { action } = policy;
    if (action === 'CUSTOM') {
      issue(ctx, ['action'], 'CUSTOM is not supported');
      return z.NEVER;
    }
    return { ...without(policy, ['provider', 'targetRef', 'targetRefs']), action };
  });
