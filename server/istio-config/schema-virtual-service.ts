import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { GrpcStatusName, HTTPFaultAbort, VirtualServiceSpec } from '../../model/istio/types.ts';
import {
  dnsLabel,
  duration,
  exportTo,
  ignored,
  issue,
  labels,
  nonNegativeInt,
  percent,
  port,
  stringMatch,
  unsupported,
  weight,
  wildcardDomainProblem,
  without,
} from './schema-common.ts';

// networking.istio.io/v1 VirtualService, the fields meshpilot routes by; rules from Istio's
// pkg/config/validation (validateHTTPRoute, validateHTTPRouteDestinations, validateHTTPRetry, ...).

const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

export const GRPC_STATUS_NAMES: readonly GrpcStatusName[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const HTTP_METHOD_MATCH = /^[A-Z]+$/;

const destination = z.strictObject({
  host: z.string().superRefine((host, ctx) => {
    if (host === '*') issue(ctx, [], 'the destination host cannot be "*"');
    else {
      const problem = wildcardDomainProblem(host);
      if (problem !== undefined) issue(ctx, [], problem);
    }
  }),
  subset: dnsLabel.optional(),
  port: z.strictObject({ number: port }).optional(),
});

const headerMatches = z.record(z.string().min(1), stringMatch);

const httpMatch = z
  .strictObject({
    name: z.string().optional(),
    uri: stringMatch.optional(),
    scheme: stringMatch.optional(),
    method: stringMatch.optional(),
    authority: stringMatch.optional(),
    headers: headerMatches.optional(),
    withoutHeaders: headerMatches.optional(),
    queryParams: z.record(z.string().min(1), stringMatch).optional(),
    ignoreUriCase: z.boolean().optional(),
    port: port.optional(),
    sourceLabels: labels.optional(),
    sourceNamespace: dnsLabel.optional(),
    gateways: z.array(z.string().min(1)).optional(),
    statPrefix: ignored,
  })
  .superRefine((match, ctx) => {
    if (match.method && 'exact' in match.method && !HTTP_METHOD_MATCH.test(match.method.exact)) {
      issue(
        ctx,
        ['method', 'exact'],
        `expected an upper-case HTTP method like "GET", got ${JSON.stringify(match.method.exact)}`,
      );
    }
  })
  .transform((match) => without(match, ['statPrefix']));

const routeDestination = z
  .strictObject({ destination, weight: weight.optional(), headers: ignored })
  .transform((d) => without(d, ['headers']));

/** Istio: with several destinations the weights sum to 100. meshpilot also accepts all weights absent (equal split). */
function checkWeights(
  route: readonly { weight?: number | undefined }[],
  ctx: z.RefinementCtx,
  path: readonly PropertyKey[],
): void {
  if (route.length < 2) return;
  const given = route.filter((d) => d.weight !== undefined);
  if (given.length === 0) return;
  const total = route.reduce((sum, d) => sum + (d.weight ?? 0), 0);
  if (total !== 100)
    issue(
      ctx,
      path,
      `the weights of the ${route.length} destinations sum to ${total}, expected 100 (or omit every weight for an equal split)`,
    );
}

const retries = z
  .strictObject({
    attempts: nonNegativeInt,
    perTryTimeout: duration().optional(),
    retryOn: z.string().optional(),
    retryRemoteLocalities: ignored,
    backoff: ignored,
  })
  .superRefine((r, ctx) => {
    if (r.attempts === 0 && (r.perTryTimeout !== undefined || r.retryOn !== undefined)) {
      issue(
        ctx,
        ['attempts'],
        'is 0 (retries disabled) but perTryTimeout or retryOn is set; set attempts > 0 or remove them',
      );
    }
    if (r.retryOn === undefined) return;
    for (const policy of r.retryOn.split(',')) {
      const code = Number(policy);
      if (RETRY_ON.has(policy) || (Number.isInteger(code) && STATUS_CODES[code] !== undefined)) continue;
      issue(
        ctx,
        ['retryOn'],
        `${JSON.stringify(policy)} is not a retry policy; expected HTTP status codes or ${[...RETRY_ON].join(', ')}`,
      );
    }
  })
  .transform((r) => without(r, ['retryRemoteLocalities', 'backoff']));

const faultDelay = z
  .strictObject({
    fixedDelay: duration(),
    percentage: percent.optional(),
    percent: unsupported('delay.percent (deprecated; use percentage.value)'),
    exponentialDelay: unsupported('delay.exponentialDelay'),
  })
  .transform((d) => without(d, ['percent', 'exponentialDelay']));

const faultAbort = z
  .strictObject({
    httpStatus: z.number().int().min(200).max(599).optional(),
    grpcStatus: z.enum(GRPC_STATUS_NAMES as [GrpcStatusName, ...GrpcStatusName[]]).optional(),
    percentage: percent.optional(),
    http2Error: unsupported('abort.http2Error'),
  })
  .transform((a, ctx): HTTPFaultAbort => {
    const pct = a.percentage === undefined ? {} : { percentage: a.percentage };
    if (a.httpStatus !== undefined && a.grpcStatus === undefined) return { httpStatus: a.httpStatus, ...pct };
    if (a.grpcStatus !== undefined && a.httpStatus === undefined) return { grpcStatus: a.grpcStatus, ...pct };
    issue(
      ctx,
      [],
      `needs exactly one of "httpStatus" or "grpcStatus", got ${a.httpStatus === undefined ? 'neither' : 'both'}`,
    );
    return z.NEVER;
  });

const fault = z.strictObject({ delay: faultDelay.optional(), abort: faultAbort.optional() }).superRefine((f, ctx) => {
  if (f.delay === undefined && f.abort === undefined) issue(ctx, [], 'fault injection needs an abort and/or a delay');
});

const httpRoute = z
  .strictObject({
    name: z.string().optional(),
    match: z.array(httpMatch).optional(),
    route: z.array(routeDestination).optional(),
    timeout: duration(0).optional(),
    retries: retries.optional(),
    fault: fault.optional(),
    headers: ignored,
    corsPolicy: ignored,
    mirror: ignored,
    mirrors: ignored,
    mirrorPercentage: ignored,
    redirect: unsupported('redirect'),
    directResponse: unsupported('directResponse'),
    rewrite: unsupported('rewrite'),
    delegate: unsupported('delegate'),
  })
  .superRefine((r, ctx) => {
    if (r.route === undefined || r.route.length === 0) {
      issue(ctx, ['route'], 'at least one destination is required');
      return;
    }
    checkWeights(r.route, ctx, ['route']);
  })
  .transform((r) => ({
    ...without(r, [
      'headers',
      'corsPolicy',
      'mirror',
      'mirrors',
      'mirrorPercentage',
      'redirect',
      'directResponse',
      'rewrite',
      'delegate',
    ]),
    route: r.route ?? [],
  }));

const weightedDestinations = z.array(z.strictObject({ destination, weight: weight.optional() })).min(1);

const l4Match = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: port.optional(),
  sourceLabels: labels.optional(),
  sourceNamespace: dnsLabel.optional(),
  gateways: z.array(z.string().min(1)).optional(),
});

const tcpRoute = z
  .strictObject({
    match: z.array(l4Match).optional(),
    route: weightedDestinations,
  })
  .superRefine((r, ctx) => checkWeights(r.route, ctx, ['route']));

// Istio's validateTLSRoute / validateTLSMatch: every match names sniHosts (wildcards allowed), the routes' weights add up.
const tlsMatch = z.strictObject({
  sniHosts: z.array(z.string().min(1)).min(1, 'TLS match must have at least one SNI host'),
  ...l4Match.shape,
});

const tlsRoute = z
  .strictObject({
    match: z.array(tlsMatch).min(1, 'TLS route must have at least one match condition'),
    route: weightedDestinations,
  })
  .superRefine((r, ctx) => {
    checkWeights(r.route, ctx, ['route']);
    r.match.forEach((m, i) =>
      m.sniHosts.forEach((sni, j) => {
        const problem = wildcardDomainProblem(sni);
        if (problem !== undefined) issue(ctx, ['match', i, 'sniHosts', j], problem);
      }),
    );
  });

export const VirtualServiceSchema = z
  .strictObject({
    hosts: z.array(z.string()).optional(),
    gateways: z.array(z.string().min(1)).optional(),
    http: z.array(httpRoute).optional(),
    tcp: z.array(tcpRoute).optional(),
    tls: z.array(tlsRoute).optional(),
    exportTo: exportTo(false).optional(),
  })
  .superRefine((vs, ctx) => {
    const hosts = vs.hosts ?? [];
    if (hosts.length === 0)
      issue(ctx, ['hosts'], 'at least one host is required (delegate VirtualServices are not supported)');
    const mesh = vs.gateways === undefined || vs.gateways.length === 0 || vs.gateways.includes('mesh');
    const seen = new Set<string>();
    hosts.forEach((host, index) => {
      const problem = wildcardDomainProblem(host);
      if (problem !== undefined) issue(ctx, ['hosts', index], problem);
      else if (host === '*' && mesh)
        issue(
          ctx,
          ['hosts', index],
          'the wildcard host "*" is not allowed for VirtualServices bound to the mesh gateway',
        );
      if (seen.has(host)) issue(ctx, ['hosts', index], `duplicate host ${JSON.stringify(host)}`);
      seen.add(host);
    });
    if ((vs.http ?? []).length === 0 && (vs.tcp ?? []).length === 0 && (vs.tls ?? []).length === 0)
      issue(ctx, [], 'needs at least one http, tcp or tls route');
  })
  .transform((vs): VirtualServiceSpec => ({ ...vs, hosts: vs.hosts ?? [] }));
