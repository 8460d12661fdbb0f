import { z } from 'zod';
import type { DestinationRuleSpec, TrafficPolicy } from '../../model/istio/types.ts';
import {
  dnsLabel,
  duration,
  exportTo,
  hostname,
  ignored,
  issue,
  labels,
  nonNegativeInt,
  port,
  unsupported,
  without,
  workloadSelector,
} from './schema-common.ts';

// networking.istio.io/v1 DestinationRule; rules from Istio's ValidateDestinationRule,
// validateTrafficPolicy, validateLoadBalancer, validateLocalityLbSetting, validateTLS.

const LOCALITY_PART = /^[^/*]+$/;

/** "region[/zone[/subzone]]", where only the last part may be "*" (Istio's validateLocalities). */
function localityProblem(locality: string): string | undefined {
  const parts = locality.split('/');
  if (locality === '' || parts.length > 3)
    return `expected "region", "region/zone" or "region/zone/subzone", got ${JSON.stringify(locality)}`;
  for (const [index, part] of parts.entries()) {
    if (part === '*' && index === parts.length - 1) continue;
    if (!LOCALITY_PART.test(part))
      return `locality ${JSON.stringify(locality)}: only the last part may be "*", and parts must not be empty`;
  }
  return undefined;
}

const locality = z.string().superRefine((value, ctx) => {
  const problem = localityProblem(value);
  if (problem !== undefined) issue(ctx, [], problem);
});

/** Istio's LocalityLoadBalancerSetting, for DestinationRules and meshpilot.yaml's `mesh.localityLbSetting`. */
export const localityLbSetting = z
  .strictObject({
    enabled: z.boolean().optional(),
    distribute: z
      .array(z.strictObject({ from: locality, to: z.record(locality, z.number().int().min(0).max(100)) }))
      .optional(),
    failover: z.array(z.strictObject({ from: z.string(), to: z.string() })).optional(),
    failoverPriority: z.array(z.string().min(1)).optional(),
  })
  .superRefine((setting, ctx) => {
    if ((setting.distribute?.length ?? 0) > 0 && (setting.failover?.length ?? 0) > 0) {
      issue(ctx, [], 'cannot set both "distribute" and "failover"');
    }
    setting.distribute?.forEach((entry, index) => {
      const total = Object.values(entry.to).reduce((sum, w) => sum + w, 0);
      if (total !== 100) issue(ctx, ['distribute', index, 'to'], `weights sum to ${total}, expected 100`);
    });
    setting.failover?.forEach((entry, index) => {
      for (const side of ['from', 'to'] as const) {
        if (entry[side] === '' || entry[side].includes('/') || entry[side].includes('*')) {
          issue(
            ctx,
            ['failover', index, side],
            `failover is between regions: expected a region name without "/" or "*", got ${JSON.stringify(entry[side])}`,
          );
        }
      }
      if (entry.from === entry.to)
        issue(
          ctx,
          ['failover', index],
          `"from" and "to" must be different regions, both are ${JSON.stringify(entry.from)}`,
        );
    });
    const seen = new Set<string>();
    setting.failoverPriority?.forEach((label, index) => {
      if (seen.has(label)) issue(ctx, ['failoverPriority', index], `duplicate label ${JSON.stringify(label)}`);
      seen.add(label);
    });
  });

const consistentHash = z
  .strictObject({
    httpHeaderName: z.string().min(1).optional(),
    httpCookie: z
      .strictObject({
        name: z.string().min(1),
        path: z.string().optional(),
        ttl: duration(0).optional(),
        attributes: ignored,
      })
      .transform((c) => without(c, ['attributes']))
      .optional(),
    useSourceIp: z.boolean().optional(),
    httpQueryParameterName: z.string().min(1).optional(),
    ringHash: z.strictObject({ minimumRingSize: nonNegativeInt.optional() }).optional(),
    maglev: z.strictObject({ tableSize: nonNegativeInt.optional() }).optional(),
    minimumRingSize: nonNegativeInt.optional(),
  })
  .superRefine((hash, ctx) => {
    const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const).filter(
      (k) => hash[k] !== undefined && hash[k] !== false,
    );
    if (keys.length !== 1) {
      issue(
        ctx,
        [],
        `needs exactly one hash key of httpHeaderName, httpCookie, useSourceIp (true) or httpQueryParameterName, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`,
      );
    }
    if (hash.ringHash !== undefined && hash.maglev !== undefined)
      issue(ctx, [], 'cannot set both "ringHash" and "maglev"');
  });

const loadBalancer = z
  .strictObject({
    simple: z.enum(['UNSPECIFIED', 'LEAST_CONN', 'ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH']).optional(),
    consistentHash: consistentHash.optional(),
    localityLbSetting: localityLbSetting.optional(),
    warmupDurationSecs: ignored,
    warmup: ignored,
  })
  .superRefine((lb, ctx) => {
    if (lb.simple !== undefined && lb.consistentHash !== undefined)
      issue(ctx, [], 'cannot set both "simple" and "consistentHash"');
  })
  .transform((lb) => without(lb, ['warmupDurationSecs', 'warmup']));

const connectionPool = z.strictObject({
  tcp: z
    .strictObject({
      maxConnections: nonNegativeInt.optional(),
      connectTimeout: duration().optional(),
      maxConnectionDuration: duration().optional(),
      idleTimeout: duration().optional(),
      tcpKeepalive: ignored,
    })
    .transform((tcp) => without(tcp, ['tcpKeepalive']))
    .optional(),
  http: z
    .strictObject({
      http1MaxPendingRequests: nonNegativeInt.optional(),
      http2MaxRequests: nonNegativeInt.optional(),
      maxRequestsPerConnection: nonNegativeInt.optional(),
      maxRetries: nonNegativeInt.optional(),
      idleTimeout: duration().optional(),
      maxConcurrentStreams: nonNegativeInt.optional(),
      h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
      useClientProtocol: z.boolean().optional(),
    })
    .optional(),
});

const outlierDetection = z
  .strictObject({
    consecutive5xxErrors: nonNegativeInt.optional(),
    consecutiveGatewayErrors: nonNegativeInt.optional(),
    consecutiveLocalOriginFailures: nonNegativeInt.optional(),
    splitExternalLocalOriginErrors: z.boolean().optional(),
    interval: duration().optional(),
    baseEjectionTime: duration().optional(),
    maxEjectionPercent: z.number().int().min(0).max(100).optional(),
    minHealthPercent: z.number().int().min(0).max(100).optional(),
    consecutiveErrors: unsupported('outlierDetection.consecutiveErrors (deprecated; use consecutive5xxErrors)'),
  })
  .transform((o) => without(o, ['consecutiveErrors']));

const clientTls = z
  .strictObject({
    mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    sni: z.string().min(1).optional(),
    subjectAltNames: z.array(z.string().min(1)).optional(),
    clientCertificate: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    caCertificates: z.string().min(1).optional(),
    credentialName: z.string().min(1).optional(),
    insecureSkipVerify: z.boolean().optional(),
    caCrl: ignored,
  })
  .superRefine((tls, ctx) => {
    const files =
      tls.clientCertificate !== undefined || tls.privateKey !== undefined || tls.caCertificates !== undefined;
    if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && tls.credentialName !== undefined && files) {
      issue(ctx, ['credentialName'], 'cannot be combined with clientCertificate, privateKey or caCertificates');
    }
    if (tls.mode === 'MUTUAL' && tls.credentialName === undefined) {
      if (tls.clientCertificate === undefined)
        issue(ctx, ['clientCertificate'], 'required for mode MUTUAL (or set credentialName)');
      if (tls.privateKey === undefined) issue(ctx, ['privateKey'], 'required for mode MUTUAL (or set credentialName)');
    }
  })
  .transform((tls) => without(tls, ['caCrl']));

const policyFields = {
  loadBalancer: loadBalancer.optional(),
  connectionPool: connectionPool.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTls.optional(),
  tunnel: unsupported('trafficPolicy.tunnel'),
  proxyProtocol: unsupported('trafficPolicy.proxyProtocol'),
};

const portTrafficPolicy = z
  .strictObject({ port: z.strictObject({ number: port }), ...policyFields })
  .transform((p) => without(p, ['tunnel', 'proxyProtocol']));

export const trafficPolicy = z
  .strictObject({ ...policyFields, portLevelSettings: z.array(portTrafficPolicy).optional() })
  .superRefine((policy, ctx) => {
    const seen = new Set<number>();
    policy.portLevelSettings?.forEach((setting, index) => {
      if (seen.has(setting.port.number))
        issue(ctx, ['portLevelSettings', index, 'port', 'number'], `duplicate port ${setting.port.number}`);
      seen.add(setting.port.number);
    });
  })
  .transform((policy): TrafficPolicy => without(policy, ['tunnel', 'proxyProtocol']));

const subset = z
  .strictObject({
    name: dnsLabel,
    labels: labels.optional(),
    trafficPolicy: trafficPolicy.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.labels === undefined || Object.keys(s.labels).length === 0)
      issue(ctx, ['labels'], 'a subset needs at least one label to select its endpoints');
  })
  .transform((s) => ({ ...s, labels: s.labels ?? {} }));

export const DestinationRuleSchema = z
  .strictObject({
    host: hostname,
    trafficPolicy: trafficPolicy.optional(),
    subsets: z.array(subset).optional(),
    exportTo: exportTo(false).optional(),
    workloadSelector: workloadSelector.optional(),
  })
  .superRefine((rule, ctx) => {
    const seen = new Map<string, number>();
    rule.subsets?.forEach((s, index) => {
      const first = seen.get(s.name);
      if (first !== undefined)
        issue(
          ctx,
          ['subsets', index, 'name'],
          `duplicate subset name ${JSON.stringify(s.name)} (first at subsets[${first}])`,
        );
      else seen.set(s.name, index);
    });
    if (rule.workloadSelector !== undefined && rule.exportTo !== undefined && rule.exportTo.some((e) => e !== '.')) {
      issue(
        ctx,
        ['exportTo'],
        'a DestinationRule with a workloadSelector can only be exported to its own namespace (".")',
      );
    }
  })
  .transform((rule): DestinationRuleSpec => rule);
