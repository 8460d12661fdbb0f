/**
 * Istio config objects as meshpilot's model holds them: validated (server/istio-config/validate.ts),
 * reduced to the fields the translators use, durations already in milliseconds. Field names follow
 * Istio's v1 APIs (networking.istio.io, security.istio.io, telemetry.istio.io) so that Istio's docs
 * describe them. Optional fields are absent when the user did not set them (never `undefined` values).
 */

/** A duration in milliseconds, parsed from Istio's "1.5s" / "100ms" / "5m" / "1h" strings. */
export type DurationMs = number;

export type IstioKind =
  | 'VirtualService'
  | 'DestinationRule'
  | 'ServiceEntry'
  | 'WorkloadEntry'
  | 'Sidecar'
  | 'PeerAuthentication'
  | 'AuthorizationPolicy'
  | 'Telemetry'
  | 'Gateway'
  | 'WorkloadGroup';

export type Labels = Readonly<Record<string, string>>;

/** Exactly one of the three. Regexes are RE2-style, as Envoy's safe_regex expects. */
export type StringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

export interface Percent {
  /** 0..100, fractions allowed (0.1 = one request in a thousand). */
  readonly value: number;
}

export interface WorkloadSelector {
  readonly matchLabels: Labels;
}

// ---------- networking.istio.io/v1 VirtualService ----------

export interface PortSelector {
  readonly number: number;
}

export interface Destination {
  /** As written: a short name ("reviews") is relative to the config's namespace; FQDN or wildcard otherwise. */
  readonly host: string;
  readonly subset?: string;
  readonly port?: PortSelector;
}

export interface HTTPMatchRequest {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly ignoreUriCase?: boolean;
  readonly port?: number;
  readonly sourceLabels?: Labels;
  readonly sourceNamespace?: string;
  readonly gateways?: readonly string[];
}

export interface HTTPRouteDestination {
  readonly destination: Destination;
  /** 0..100; when a route has several destinations their weights sum to 100, or all are absent (equal split). */
  readonly weight?: number;
}

export interface HTTPRetry {
  readonly attempts: number;
  readonly perTryTimeout?: DurationMs;
  /** Envoy retry policies, comma separated, e.g. "5xx,connect-failure" (validated). */
  readonly retryOn?: string;
}

export interface HTTPFaultDelay {
  readonly fixedDelay: DurationMs;
  readonly percentage?: Percent;
}

export type HTTPFaultAbort =
  | { readonly httpStatus: number; readonly percentage?: Percent }
  | { readonly grpcStatus: GrpcStatusName; readonly percentage?: Percent };

export interface HTTPFaultInjection {
  readonly delay?: HTTPFaultDelay;
  readonly abort?: HTTPFaultAbort;
}

export interface HTTPRoute {
  readonly name?: string;
  /** Absent or empty = matches every request. */
  readonly match?: readonly HTTPMatchRequest[];
  /** At least one destination (redirects and direct responses are not supported yet). */
  readonly route: readonly HTTPRouteDestination[];
  /** 0 disables the timeout. */
  readonly timeout?: DurationMs;
  readonly retries?: HTTPRetry;
  readonly fault?: HTTPFaultInjection;
}

export interface L4MatchAttributes {
  readonly destinationSubnets?: readonly string[];
  readonly port?: number;
  readonly sourceLabels?: Labels;
  readonly sourceNamespace?: string;
  readonly gateways?: readonly string[];
}

export interface RouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
}

export interface TCPRoute {
  readonly match?: readonly L4MatchAttributes[];
  readonly route: readonly RouteDestination[];
}

export interface TLSMatchAttributes extends L4MatchAttributes {
  /** SNI names the route applies to (wildcards allowed); at least one. */
  readonly sniHosts: readonly string[];
}

/** A VirtualService tls route: TLS passthrough by SNI (Gateway PASSTHROUGH servers, sidecar TLS ports). */
export interface TLSRoute {
  readonly match: readonly TLSMatchAttributes[];
  readonly route: readonly RouteDestination[];
}

export interface VirtualServiceSpec {
  /** Non-empty (delegate VirtualServices are not supported). */
  readonly hosts: readonly string[];
  /** Absent = the "mesh" gateway (sidecars). */
  readonly gateways?: readonly string[];
  readonly http?: readonly HTTPRoute[];
  readonly tcp?: readonly TCPRoute[];
  readonly tls?: readonly TLSRoute[];
  readonly exportTo?: readonly string[];
}

// ---------- networking.istio.io/v1 DestinationRule ----------

export type SimpleLb = 'UNSPECIFIED' | 'LEAST_CONN' | 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';

export interface HTTPCookie {
  readonly name: string;
  readonly path?: string;
  readonly ttl?: DurationMs;
}

/** Exactly one of httpHeaderName, httpCookie, useSourceIp (true) or httpQueryParameterName is set. */
export interface ConsistentHashLb {
  readonly httpHeaderName?: string;
  readonly httpCookie?: HTTPCookie;
  readonly useSourceIp?: boolean;
  readonly httpQueryParameterName?: string;
  readonly ringHash?: { readonly minimumRingSize?: number };
  readonly maglev?: { readonly tableSize?: number };
  /** Deprecated in Istio in favour of ringHash.minimumRingSize; still honoured. */
  readonly minimumRingSize?: number;
}

export interface LocalityDistribute {
  /** "region/zone/subzone", trailing parts may be "*". */
  readonly from: string;
  /** Locality → weight; weights sum to 100. */
  readonly to: Readonly<Record<string, number>>;
}

export interface LocalityFailover {
  readonly from: string;
  readonly to: string;
}

export interface LocalityLbSetting {
  readonly enabled?: boolean;
  readonly distribute?: readonly LocalityDistribute[];
  readonly failover?: readonly LocalityFailover[];
  /** Label keys (e.g. topology.istio.io/network), in priority order. */
  readonly failoverPriority?: readonly string[];
}

/** At most one of simple and consistentHash (Istio's lbPolicy one-of). */
export interface LoadBalancerSettings {
  readonly simple?: SimpleLb;
  readonly consistentHash?: ConsistentHashLb;
  readonly localityLbSetting?: LocalityLbSetting;
}

export interface ConnectionPoolSettings {
  readonly tcp?: {
    readonly maxConnections?: number;
    readonly connectTimeout?: DurationMs;
    readonly maxConnectionDuration?: DurationMs;
    readonly idleTimeout?: DurationMs;
  };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    /** 1 disables keep-alive; the seed's mitigation for L4 imbalance through east-west gateways. */
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: DurationMs;
    readonly maxConcurrentStreams?: number;
    readonly h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    readonly useClientProtocol?: boolean;
  };
}

export interface OutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly consecutiveLocalOriginFailures?: number;
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly interval?: DurationMs;
  readonly baseEjectionTime?: DurationMs;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

export type ClientTlsMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export interface ClientTlsSettings {
  readonly mode: ClientTlsMode;
  readonly sni?: string;
  readonly subjectAltNames?: readonly string[];
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly insecureSkipVerify?: boolean;
}

export interface PortTrafficPolicy {
  readonly port: PortSelector;
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: ClientTlsSettings;
}

export interface TrafficPolicy {
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: ClientTlsSettings;
  readonly portLevelSettings?: readonly PortTrafficPolicy[];
}

export interface Subset {
  /** A DNS label, unique within the rule; part of the Envoy cluster name outbound|<port>|<subset>|<fqdn>. */
  readonly name: string;
  /** Non-empty: selects the subset's endpoints by pod labels. */
  readonly labels: Labels;
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: readonly Subset[];
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: WorkloadSelector;
}

// ---------- networking.istio.io/v1 ServiceEntry ----------

export interface ServicePortSpec {
  readonly number: number;
  readonly protocol?: string;
  readonly name: string;
  readonly targetPort?: number;
}

export interface WorkloadEntrySpec {
  readonly address?: string;
  readonly ports?: Readonly<Record<string, number>>;
  readonly labels?: Labels;
  readonly network?: string;
  readonly locality?: string;
  readonly weight?: number;
  readonly serviceAccount?: string;
}

export interface ServiceEntrySpec {
  readonly hosts: readonly string[];
  readonly addresses?: readonly string[];
  readonly ports?: readonly ServicePortSpec[];
  readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  readonly resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  readonly endpoints?: readonly WorkloadEntrySpec[];
  readonly workloadSelector?: { readonly labels: Labels };
  readonly exportTo?: readonly string[];
  readonly subjectAltNames?: readonly string[];
}

// ---------- networking.istio.io/v1 WorkloadGroup ----------

/**
 * A WorkloadGroup: the template of the WorkloadEntries Istio's auto-registration creates when a VM's proxy
 * connects (labels: proxy > metadata > template). Istio's pilot builds nothing from the group itself: the
 * entries it created carry the merged fields. meshpilot reads only manifests and never creates entries.
 */
export interface WorkloadGroupSpec {
  readonly metadata?: { readonly labels?: Labels; readonly annotations?: Labels };
  readonly template: WorkloadEntrySpec;
}

// ---------- networking.istio.io/v1 Sidecar ----------

export interface IstioEgressListener {
  readonly port?: { readonly number: number; readonly protocol?: string; readonly name?: string };
  readonly bind?: string;
  readonly captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
  /** "namespace/dnsName": namespace may be "*", "." or "~"; dnsName may be "*" or "*.suffix". */
  readonly hosts: readonly string[];
}

export interface SidecarSpec {
  /** Sidecar's selector uses `labels` (not matchLabels), as in Istio. Absent = every workload of the namespace. */
  readonly workloadSelector?: { readonly labels: Labels };
  readonly egress?: readonly IstioEgressListener[];
  readonly outboundTrafficPolicy?: { readonly mode: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
}

// ---------- networking.istio.io/v1 Gateway ----------

export type ServerTlsMode =
  'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';

export interface ServerTlsSettings {
  readonly httpsRedirect?: boolean;
  /** Absent = PASSTHROUGH, as in Istio's API (its zero value). */
  readonly mode?: ServerTlsMode;
  /** A kube Secret in the gateway workload's namespace (SIMPLE / MUTUAL through SDS). */
  readonly credentialName?: string;
  readonly subjectAltNames?: readonly string[];
  readonly minProtocolVersion?: string;
  readonly maxProtocolVersion?: string;
  readonly cipherSuites?: readonly string[];
}

export interface GatewayServer {
  /** Istio's port: the gateway Service's port (translated to the pod's targetPort), protocol and a unique name. */
  readonly port: { readonly number: number; readonly protocol: string; readonly name: string };
  /** "namespace/dnsName" or "dnsName" (any namespace); dnsName may be "*" or "*.suffix". */
  readonly hosts: readonly string[];
  readonly tls?: ServerTlsSettings;
  readonly bind?: string;
  readonly name?: string;
}

export interface GatewaySpec {
  /** Pod labels of the gateway workloads; absent = every router that asks. */
  readonly selector?: Labels;
  readonly servers: readonly GatewayServer[];
}

// ---------- security.istio.io/v1 PeerAuthentication ----------

export type MutualTlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationSpec {
  readonly selector?: WorkloadSelector;
  readonly mtls?: { readonly mode: MutualTlsMode };
  /** Workload port number (as a string key, as in YAML) → mode; only with a non-empty selector. */
  readonly portLevelMtls?: Readonly<Record<string, { readonly mode: MutualTlsMode }>>;
}

// ---------- security.istio.io/v1 AuthorizationPolicy ----------

export interface AuthorizationSource {
  readonly principals?: readonly string[];
  readonly notPrincipals?: readonly string[];
  readonly requestPrincipals?: readonly string[];
  readonly notRequestPrincipals?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly notNamespaces?: readonly string[];
  readonly ipBlocks?: readonly string[];
  readonly notIpBlocks?: readonly string[];
  readonly remoteIpBlocks?: readonly string[];
  readonly notRemoteIpBlocks?: readonly string[];
}

export interface AuthorizationOperation {
  readonly hosts?: readonly string[];
  readonly notHosts?: readonly string[];
  /** Port numbers as strings, as in Istio's API. */
  readonly ports?: readonly string[];
  readonly notPorts?: readonly string[];
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly paths?: readonly string[];
  readonly notPaths?: readonly string[];
}

export interface AuthorizationCondition {
  readonly key: string;
  readonly values?: readonly string[];
  readonly notValues?: readonly string[];
}

export interface AuthorizationRule {
  readonly from?: readonly { readonly source: AuthorizationSource }[];
  readonly to?: readonly { readonly operation: AuthorizationOperation }[];
  readonly when?: readonly AuthorizationCondition[];
}

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT';

export interface AuthorizationPolicySpec {
  readonly selector?: WorkloadSelector;
  /** Absent in YAML = ALLOW, as in Istio. */
  readonly action: AuthorizationAction;
  /** ALLOW with no rules denies every request; DENY needs rules (an empty rule `{}` matches every request). */
  readonly rules?: readonly AuthorizationRule[];
}

// ---------- telemetry.istio.io/v1 Telemetry ----------

export type MetricSelectorMetric =
  | 'ALL_METRICS'
  | 'REQUEST_COUNT'
  | 'REQUEST_DURATION'
  | 'REQUEST_SIZE'
  | 'RESPONSE_SIZE'
  | 'TCP_OPENED_CONNECTIONS'
  | 'TCP_CLOSED_CONNECTIONS'
  | 'TCP_SENT_BYTES'
  | 'TCP_RECEIVED_BYTES'
  | 'GRPC_REQUEST_MESSAGES'
  | 'GRPC_RESPONSE_MESSAGES';

export interface MetricsOverride {
  readonly match?: {
    readonly metric?: MetricSelectorMetric;
    readonly customMetric?: string;
    readonly mode?: 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';
  };
  readonly disabled?: boolean;
  /** Tag name (e.g. "source_cluster") → UPSERT with a CEL value expression, or REMOVE. */
  readonly tagOverrides?: Readonly<
    Record<string, { readonly operation: 'UPSERT'; readonly value: string } | { readonly operation: 'REMOVE' }>
  >;
}

export interface MetricsConfig {
  readonly providers?: readonly { readonly name: string }[];
  readonly overrides?: readonly MetricsOverride[];
  readonly reportingInterval?: DurationMs;
}

export interface TelemetrySpec {
  readonly selector?: WorkloadSelector;
  readonly metrics?: readonly MetricsConfig[];
}

// ---------- the set ----------

export type GrpcStatusName =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

export interface IstioSpecs {
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  ServiceEntry: ServiceEntrySpec;
  WorkloadEntry: WorkloadEntrySpec;
  Sidecar: SidecarSpec;
  PeerAuthentication: PeerAuthenticationSpec;
  AuthorizationPolicy: AuthorizationPolicySpec;
  Telemetry: TelemetrySpec;
  Gateway: GatewaySpec;
  WorkloadGroup: WorkloadGroupSpec;
}

/** Where an object came from: a file of a manifests folder, or a kube cluster's API server. */
export type ConfigOrigin =
  { readonly type: 'file'; readonly path: string } | { readonly type: 'kube'; readonly kubeCluster: string };

export interface ConfigMeta {
  readonly namespace: string;
  readonly name: string;
  /** The API server's resourceVersion; for files, a hash of the object's content. */
  readonly resourceVersion: string;
  readonly generation?: number;
  /** RFC 3339; Istio resolves conflicts between objects in favour of the oldest. */
  readonly creationTimestamp?: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly origin: ConfigOrigin;
}

export interface IstioConfig<K extends IstioKind = IstioKind> {
  readonly kind: K;
  readonly meta: ConfigMeta;
  readonly spec: IstioSpecs[K];
}

export type AnyIstioConfig = { [K in IstioKind]: IstioConfig<K> }[IstioKind];

/** Every accepted Istio config object, per kind, each list sorted by namespace then name. Immutable. */
export interface IstioConfigSet {
  /** Where mesh-wide PeerAuthentication, AuthorizationPolicy, Telemetry and Sidecar objects live. */
  readonly rootNamespace: string;
  readonly virtualServices: readonly IstioConfig<'VirtualService'>[];
  readonly destinationRules: readonly IstioConfig<'DestinationRule'>[];
  readonly serviceEntries: readonly IstioConfig<'ServiceEntry'>[];
  /** networking.istio.io/v1 WorkloadEntry: VMs and other workloads outside Kubernetes, selected by Services. */
  readonly workloadEntries: readonly IstioConfig<'WorkloadEntry'>[];
  readonly sidecars: readonly IstioConfig<'Sidecar'>[];
  readonly peerAuthentications: readonly IstioConfig<'PeerAuthentication'>[];
  readonly authorizationPolicies: readonly IstioConfig<'AuthorizationPolicy'>[];
  readonly telemetries: readonly IstioConfig<'Telemetry'>[];
  readonly gateways: readonly IstioConfig<'Gateway'>[];
  /** networking.istio.io/v1 WorkloadGroup: validated and listed; Istio's pilot builds nothing from it either (see its spec). */
  readonly workloadGroups: readonly IstioConfig<'WorkloadGroup'>[];
}
