import { isIP } from 'node:net';
import { z } from 'zod';
import { isCidr, isDnsLabel, isDnsSubdomain, isIpOrHostname, parseListenAddress } from './address.ts';
import { ConfigErrorCode } from './config-error.ts';
import { DEFAULT_STREAM_LIMITS } from '../xds/stream-limits.ts';
import { DEFAULT_KEEPALIVE } from '../xds/keepalive.ts';
import { duration as istioDuration } from '../istio-config/schema-common.ts';
import { localityLbSetting } from '../istio-config/schema-destination-rule.ts';
import { WebhooksSchema } from './webhooks-schema.ts';
import { KUBECONFIG_ALLOWANCES, type KubeconfigAllowance } from '../kube/kubeconfig-policy.ts';

// The meshpilot.yaml schema (DESIGN.md "Public contracts"). Every object is strict: unknown keys are errors.
// Custom issues carry their stable error code in `params.code`; zod-issues.ts turns issues into ConfigErrors.

export const DEFAULT_LISTEN = { xds: '0.0.0.0:15010', xdsTls: '0.0.0.0:15012', admin: '127.0.0.1:15014' } as const;
export const DEFAULT_GATEWAY_PORT = 15443;
export const DEFAULT_DEBOUNCE = { quietMs: 100, maxMs: 1000 } as const;
export const DEFAULT_REMOTE_CLUSTER_TIMEOUT_MS = 30_000;
export const DEFAULT_REGISTRY = { resyncMs: 300_000, unreachablePolicy: 'keep', dropAfterMs: 600_000 } as const;
export const DEFAULT_SECURITY = {
  caDir: './.meshpilot/ca',
  workloadCertTtlMs: 24 * 60 * 60 * 1000,
  servingDnsNames: ['meshpilot.istio-system.svc', 'istiod.istio-system.svc', 'localhost'],
  servingIps: ['127.0.0.1'],
} as const;
/** Istio's longest workload certificate lifetime (90 days); the CA refuses longer ones. */
export const MAX_WORKLOAD_CERT_TTL_MS = 90 * 24 * 60 * 60 * 1000;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** setTimeout fires at once for delays above 2^31-1 ms, so longer durations are refused. */
const MAX_TIMER_MS = 2_147_483_647;

function withCode(code: string, message: string) {
  return { message, params: { code } };
}

const nonEmptyString = z.string().min(1);

const dnsLabel = z
  .string()
  .refine(
    isDnsLabel,
    withCode(
      ConfigErrorCode.badName,
      'expected a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
    ),
  );

const dnsSubdomain = z
  .string()
  .refine(
    isDnsSubdomain,
    withCode(ConfigErrorCode.badName, 'expected a DNS name like "cluster.local": dot-separated DNS-1123 labels'),
  );

const trustDomain = z
  .string()
  .refine(
    (v) => /^[a-z0-9._-]+$/.test(v),
    withCode(
      ConfigErrorCode.badName,
      'expected a SPIFFE trust domain like "cluster.local": lowercase letters, digits, ".", "-", "_"',
    ),
  );

const hostPort = z.string().superRefine((value, ctx) => {
  const parsed = parseListenAddress(value);
  if (!parsed.ok)
    ctx.addIssue({ code: 'custom', message: parsed.message, params: { code: ConfigErrorCode.badAddress } });
});

/** The plaintext xDS listener may be turned off with `off` or `false`; its output is then `false`. */
const plaintextXdsAddress = z
  .union([z.literal(false), z.string()], {
    error: 'expected "host:port", "[ipv6]:port", or off/false to disable the plaintext xDS listener',
  })
  .superRefine((value, ctx) => {
    if (value === false || value === 'off') return;
    const parsed = parseListenAddress(value);
    if (!parsed.ok)
      ctx.addIssue({
        code: 'custom',
        message: `${parsed.message}, or off/false to disable`,
        params: { code: ConfigErrorCode.badAddress },
      });
  })
  .transform((value): string | false => (value === 'off' ? false : value));

const durationMs = z.number().int().min(0).max(MAX_TIMER_MS);

/** Adds an issue unless exactly one of the two keys is set; the issue sits on the object's own path. */
function exactlyOneOf(first: string, second: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const has = [first, second].filter((key) => value[key] !== undefined);
    if (has.length === 1) return;
    const got = has.length === 0 ? 'neither' : 'both';
    ctx.addIssue({
      code: 'custom',
      message: `needs exactly one of "${first}" or "${second}", got ${got}`,
      params: { code: ConfigErrorCode.oneOf },
    });
  };
}

/** Transforms run only when every check passed, so this is unreachable; it keeps the output types honest. */
function neverBoth(ctx: z.RefinementCtx): never {
  ctx.addIssue({ code: 'custom', message: 'internal: one-of check skipped', params: { code: ConfigErrorCode.oneOf } });
  return z.NEVER;
}

const ListenSchema = z.strictObject({
  xds: plaintextXdsAddress.default(DEFAULT_LISTEN.xds),
  xdsTls: hostPort.default(DEFAULT_LISTEN.xdsTls),
  admin: hostPort.default(DEFAULT_LISTEN.admin),
});

const lowercaseDnsName = z
  .string()
  .refine(
    (v) => v === v.toLowerCase() && isDnsSubdomain(v),
    withCode(ConfigErrorCode.badName, 'expected a lowercase DNS name like "meshpilot.istio-system.svc"'),
  );

const ipAddress = z
  .string()
  .refine(
    (v) => isIP(v) !== 0,
    withCode(ConfigErrorCode.badAddress, 'expected an IPv4 or IPv6 address like "127.0.0.1"'),
  );

/**
 * Workload identity: the CA (a root made on first start, or Istio plug-in CA files, in caDir), the TLS
 * xDS port's serving certificate SANs, and which member kube cluster's TokenReview checks proxy tokens.
 * Present (even as `security: {}`) = the TLS xDS port (listen.xdsTls), SDS and the CSR API are served.
 */
const SecuritySchema = z
  .strictObject({
    caDir: nonEmptyString.default(DEFAULT_SECURITY.caDir),
    workloadCertTtlMs: z
      .number()
      .int()
      .min(1000)
      .max(MAX_WORKLOAD_CERT_TTL_MS)
      .default(DEFAULT_SECURITY.workloadCertTtlMs),
    servingDnsNames: z.array(lowercaseDnsName).default([...DEFAULT_SECURITY.servingDnsNames]),
    servingIps: z.array(ipAddress).default([...DEFAULT_SECURITY.servingIps]),
    tokenReviewCluster: dnsLabel.optional(),
    /** istiod's namespace controller: istio-ca-root-cert (this CA's root) in every namespace of every member kube cluster. */
    rootCertConfigMaps: z.boolean().default(true),
  })
  .superRefine((value, ctx) => {
    if (value.servingDnsNames.length + value.servingIps.length > 0) return;
    ctx.addIssue({
      code: 'custom',
      message: 'the serving certificate needs at least one of servingDnsNames or servingIps',
      path: ['servingDnsNames'],
      params: { code: ConfigErrorCode.invalidValue },
    });
  });

const KubeClusterSchema = z
  .strictObject({
    name: dnsLabel,
    network: nonEmptyString.optional(),
    kubeconfig: nonEmptyString.optional(),
    manifests: nonEmptyString.optional(),
    /** What the operator's own kubeconfig file may use beyond inline credentials (never granted to remote secrets). */
    kubeconfigAllow: z.array(z.enum(KUBECONFIG_ALLOWANCES)).optional(),
  })
  .superRefine(exactlyOneOf('kubeconfig', 'manifests'))
  .transform(
    (
      c,
      ctx,
    ): { name: string; network?: string; kubeconfigAllow?: KubeconfigAllowance[] } & (
      { kubeconfig: string; manifests?: undefined } | { manifests: string; kubeconfig?: undefined }
    ) => {
      const base = {
        name: c.name,
        ...(c.network !== undefined ? { network: c.network } : {}),
        ...(c.kubeconfigAllow !== undefined ? { kubeconfigAllow: c.kubeconfigAllow } : {}),
      };
      if (c.kubeconfig !== undefined && c.manifests === undefined) return { ...base, kubeconfig: c.kubeconfig };
      if (c.manifests !== undefined && c.kubeconfig === undefined) return { ...base, manifests: c.manifests };
      return neverBoth(ctx);
    },
  );

const RemoteSecretsSchema = z.strictObject({
  cluster: nonEmptyString,
  namespace: dnsLabel.default('istio-system'),
});

/**
 * Member kube clusters from a Karmada control plane: its Push-mode cluster.karmada.io Clusters join
 * while meshpilot runs (server/kube/karmada-clusters.ts).
 */
const KarmadaSchema = z.strictObject({
  kubeconfig: nonEmptyString,
  kubeconfigAllow: z.array(z.enum(KUBECONFIG_ALLOWANCES)).optional(),
  networkLabel: nonEmptyString.default('topology.istio.io/network'),
  /**
   * Opt-in (Istio has no such rule): a Cluster Karmada marks not ready or taints NoExecute has its
   * endpoints sent at a lower EDS priority than every healthy kube cluster's, before its pods go.
   */
  drainNotReady: z.boolean().default(false),
});

const ConfigSourceSchema = z
  .strictObject({ manifests: nonEmptyString.optional(), cluster: nonEmptyString.optional() })
  .superRefine(exactlyOneOf('manifests', 'cluster'))
  .transform((s, ctx): { manifests: string; cluster?: undefined } | { cluster: string; manifests?: undefined } => {
    if (s.manifests !== undefined && s.cluster === undefined) return { manifests: s.manifests };
    if (s.cluster !== undefined && s.manifests === undefined) return { cluster: s.cluster };
    return neverBoth(ctx);
  });

const NetworkEndpointSchema = z
  .strictObject({
    fromRegistry: nonEmptyString.optional(),
    fromCidr: z
      .string()
      .refine(isCidr, withCode(ConfigErrorCode.badCidr, 'expected a CIDR like "10.10.0.0/16" or "fd00::/64"'))
      .optional(),
  })
  .superRefine(exactlyOneOf('fromRegistry', 'fromCidr'))
  .transform(
    (e, ctx): { fromRegistry: string; fromCidr?: undefined } | { fromCidr: string; fromRegistry?: undefined } => {
      if (e.fromRegistry !== undefined && e.fromCidr === undefined) return { fromRegistry: e.fromRegistry };
      if (e.fromCidr !== undefined && e.fromRegistry === undefined) return { fromCidr: e.fromCidr };
      return neverBoth(ctx);
    },
  );

const GatewaySchema = z
  .strictObject({
    address: z
      .string()
      .refine(isIpOrHostname, withCode(ConfigErrorCode.badAddress, 'expected an IP address or a hostname'))
      .optional(),
    registryServiceName: z
      .string()
      .refine(
        isDnsSubdomain,
        withCode(
          ConfigErrorCode.badName,
          'expected a service FQDN like "istio-eastwestgateway.istio-system.svc.cluster.local"',
        ),
      )
      .optional(),
    port: z.number().int().min(1).max(65535).default(DEFAULT_GATEWAY_PORT),
    locality: nonEmptyString.optional(),
  })
  .superRefine(exactlyOneOf('address', 'registryServiceName'))
  .transform(
    (
      g,
      ctx,
    ): { port: number; locality?: string } & (
      { address: string; registryServiceName?: undefined } | { registryServiceName: string; address?: undefined }
    ) => {
      const base = g.locality === undefined ? { port: g.port } : { port: g.port, locality: g.locality };
      if (g.address !== undefined && g.registryServiceName === undefined) return { ...base, address: g.address };
      if (g.registryServiceName !== undefined && g.address === undefined)
        return { ...base, registryServiceName: g.registryServiceName };
      return neverBoth(ctx);
    },
  );

const NetworkSchema = z.strictObject({
  endpoints: z.array(NetworkEndpointSchema).default([]),
  gateways: z.array(GatewaySchema).default([]),
});

const MeshNetworksSchema = z.strictObject({
  networks: z.record(nonEmptyString, NetworkSchema).default({}),
});

const DebounceSchema = z.strictObject({
  quietMs: durationMs.default(DEFAULT_DEBOUNCE.quietMs),
  maxMs: durationMs.default(DEFAULT_DEBOUNCE.maxMs),
});

const ReadinessSchema = z.strictObject({
  remoteClusterTimeoutMs: durationMs.default(DEFAULT_REMOTE_CLUSTER_TIMEOUT_MS),
});

/** Live kube clusters: full re-list period (0 = off), and what to serve while one is unreachable. */
const RegistrySchema = z.strictObject({
  resyncMs: durationMs.default(DEFAULT_REGISTRY.resyncMs),
  unreachablePolicy: z.enum(['keep', 'drop']).default(DEFAULT_REGISTRY.unreachablePolicy),
  dropAfterMs: durationMs.default(DEFAULT_REGISTRY.dropAfterMs),
});

/** ADS server tuning. A max connection age makes proxies reconnect now and then, which spreads them over replicas. */
const XdsServerSchema = z.strictObject({
  maxConnectionAgeMs: durationMs.default(0),
  maxConnectionAgeGraceMs: durationMs.default(10_000),
  // HTTP/2 keepalive of both ADS ports, istiod's defaults (server/xds/keepalive.ts); 0 = off.
  keepaliveTimeMs: durationMs.default(DEFAULT_KEEPALIVE.keepaliveTimeMs),
  keepaliveTimeoutMs: durationMs.default(DEFAULT_KEEPALIVE.keepaliveTimeoutMs),
  // Per-stream limits on what a client can make the server remember (server/xds/stream-limits.ts).
  maxSubscribedNamesPerType: z.number().int().min(1).default(DEFAULT_STREAM_LIMITS.maxSubscribedNamesPerType),
  maxSubscribedNamesPerStream: z.number().int().min(1).default(DEFAULT_STREAM_LIMITS.maxSubscribedNamesPerStream),
  maxUnknownTypeUrls: z.number().int().min(0).default(DEFAULT_STREAM_LIMITS.maxUnknownTypeUrls),
  maxNackMessageBytes: z.number().int().min(64).default(DEFAULT_STREAM_LIMITS.maxNackMessageBytes),
  // istiod's ENABLE_DEBUG_ENDPOINT_AUTH: istio.io/debug/* over ADS only to callers authenticated on the TLS port.
  debugEndpointAuth: z.boolean().default(true),
});

/**
 * The part of Istio's MeshConfig a multi-cluster user sets, with Istio's field names and meaning
 * (istio.io/latest/docs/reference/config/istio.mesh.v1alpha1): the mesh-wide locality load-balancing
 * setting, used for a service whose DestinationRule sets none and whose Service sets no trafficDistribution;
 * serviceSettings (clusterLocal hosts).
 */
const MeshConfigSchema = z.strictObject({
  localityLbSetting: localityLbSetting.optional(),
  serviceSettings: z
    .array(
      z.strictObject({
        settings: z.strictObject({ clusterLocal: z.boolean().optional() }).optional(),
        hosts: z.array(
          z
            .string()
            .refine(
              (h) => h === '*' || isDnsSubdomain(h.startsWith('*.') ? h.slice(2) : h),
              withCode(
                ConfigErrorCode.badName,
                'expected a host like "reviews.default.svc.cluster.local" or "*.example.com"',
              ),
            ),
        ),
      }),
    )
    .optional(),
  trustDomainAliases: z.array(trustDomain).optional(),
  connectTimeout: istioDuration().optional(),
});

/**
 * meshpilot's improvements over Istio's output, each off unless set (Istio-compatible by default);
 * the README divergence table lists each with the differences it makes, and `explain` names the ones
 * that change what a proxy is sent.
 */
const OptInSchema = z.strictObject({
  gatewayEjectionRemedy: z.boolean().default(false),
  grpcOutlierDetection: z.boolean().default(false),
});

/**
 * How east-west gateway hostnames (LoadBalancer ingress hostnames, meshNetworks addresses) are resolved;
 * the defaults are Istio's (pilot/pkg/model/network.go). `servers`: `ip:port` or `[ip6]:port`, tried in
 * order; none = the system's resolvers (/etc/resolv.conf).
 */
const GatewayDnsSchema = z.strictObject({
  servers: z
    .array(
      z.string().superRefine((value, ctx) => {
        const parsed = parseListenAddress(value);
        const message = !parsed.ok
          ? parsed.message
          : isIP(parsed.value.host) === 0
            ? `"${parsed.value.host}" is not an IP address (a DNS server is given by IP and port)`
            : undefined;
        if (message !== undefined)
          ctx.addIssue({ code: 'custom', message, params: { code: ConfigErrorCode.badAddress } });
      }),
    )
    .default([]),
  minTtlMs: durationMs.default(30_000),
  maxTtlMs: durationMs.default(3_600_000),
  timeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).default(5_000),
});

export const MeshpilotConfigSchema = z.strictObject({
  meshId: nonEmptyString.default('mesh1'),
  trustDomain: trustDomain.default('cluster.local'),
  domainSuffix: dnsSubdomain.default('cluster.local'),
  listen: ListenSchema.prefault({}),
  clusters: z.array(KubeClusterSchema).default([]),
  remoteSecrets: RemoteSecretsSchema.optional(),
  karmada: KarmadaSchema.optional(),
  config: z.array(ConfigSourceSchema).default([]),
  meshNetworks: MeshNetworksSchema.prefault({}),
  mesh: MeshConfigSchema.prefault({}),
  optIn: OptInSchema.prefault({}),
  gatewayDns: GatewayDnsSchema.prefault({}),
  debounce: DebounceSchema.prefault({}),
  readiness: ReadinessSchema.prefault({}),
  registry: RegistrySchema.prefault({}),
  xdsServer: XdsServerSchema.prefault({}),
  security: SecuritySchema.optional(),
  webhooks: WebhooksSchema.optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
});

/** The config with defaults applied; loadConfig also makes every file path in it absolute. */
export type MeshpilotConfig = z.output<typeof MeshpilotConfigSchema>;
export type ListenConfig = z.output<typeof ListenSchema>;
export type XdsServerConfig = z.output<typeof XdsServerSchema>;
/** A member Kubernetes cluster: exactly one of `kubeconfig` (file) or `manifests` (folder, file registry). */
export type KubeClusterConfig = z.output<typeof KubeClusterSchema>;
export type RemoteSecretsConfig = z.output<typeof RemoteSecretsSchema>;
/** An Istio config source: a manifests folder, or the Istio CRDs of a member kube cluster. */
export type ConfigSourceConfig = z.output<typeof ConfigSourceSchema>;
export type MeshNetworksConfig = z.output<typeof MeshNetworksSchema>;
export type MeshConfigSection = z.output<typeof MeshConfigSchema>;
export type NetworkConfig = z.output<typeof NetworkSchema>;
export type NetworkEndpointConfig = z.output<typeof NetworkEndpointSchema>;
export type GatewayConfig = z.output<typeof GatewaySchema>;
export type DebounceConfig = z.output<typeof DebounceSchema>;
export type SecurityConfig = z.output<typeof SecuritySchema>;
export type ReadinessConfig = z.output<typeof ReadinessSchema>;
export type RegistryConfig = z.output<typeof RegistrySchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];
