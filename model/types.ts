/**
 * The mesh model: an immutable snapshot of every kube cluster's services and endpoints, merged.
 * Objects here are already reduced to the fields meshpilot needs (see server/registry/reduce.ts).
 */

import type { IstioConfigSet, LocalityLbSetting } from './istio/types.ts';

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

export const NO_LOCALITY: Locality = { region: '', zone: '', subZone: '' };

export type TlsMode = 'istio' | 'disabled';

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Numeric target port, or the name of a container port, or undefined (= port). */
  readonly targetPort?: number | string;
  readonly protocol: string;
  readonly appProtocol?: string;
  readonly nodePort?: number;
}

/** A Service as one kube cluster sees it. */
export interface KubeServiceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: string;
  readonly clusterIP?: string;
  readonly headless: boolean;
  readonly ports: readonly ServicePort[];
  /** spec.trafficDistribution (PreferClose / PreferSameZone turn on locality failover, as in Istio). */
  readonly trafficDistribution?: string;
  readonly loadBalancerIPs: readonly string[];
  /** status.loadBalancer.ingress[].hostname of ingresses without an IP (gateways resolve them with DNS, as Istio). */
  readonly loadBalancerHostnames?: readonly string[];
  readonly externalIPs: readonly string[];
  /**
   * The `traffic.istio.io/nodeSelector` annotation (JSON label map; {} when unreadable, which selects every
   * node, as Istio): set only when annotated. A NodePort Service with it is a gateway on its nodes' ExternalIPs.
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** spec.selector when not empty: a Service with one also has the WorkloadEntries it selects as endpoints (as Istio). */
  readonly selector?: Readonly<Record<string, string>>;
  /** What the registry dropped from the object as invalid (ports, protocols, label values). */
  readonly dropped?: readonly string[];
}

export interface EndpointSliceRecord {
  readonly namespace: string;
  readonly name: string;
  readonly serviceName: string;
  readonly addressType: string;
  /** metadata.creationTimestamp (RFC 3339): the newest slice wins an address found in several. */
  readonly createdAt?: string;
  readonly ports: readonly { readonly name: string; readonly port: number; readonly protocol: string }[];
  readonly endpoints: readonly SliceEndpointRecord[];
  /** What the registry dropped from the object as invalid (addresses, ports, protocols). */
  readonly dropped?: readonly string[];
}

export interface SliceEndpointRecord {
  readonly addresses: readonly string[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly podName?: string;
  /** `namespace/podName`, the key of the pod in its kube cluster's store (computed once, on arrival). */
  readonly podKey?: string;
}

export interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly ip?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly nodeName?: string;
  /**
   * Istio's shouldPodBeInEndpoints and IsPodReady: not Succeeded/Failed, not being deleted, condition Ready
   * True. Only such a pod is a ServiceEntry's endpoint (absent: not ready).
   */
  readonly ready?: boolean;
  /** Its containers' named TCP ports (first wins), Istio's getPortMap: a ServiceEntry port of that name targets it. */
  readonly containerPorts?: Readonly<Record<string, number>>;
  /** What the registry dropped from the object as invalid (pod IP, label values). */
  readonly dropped?: readonly string[];
}

export interface NodeRecord {
  readonly name: string;
  /** The node's labels (what a gateway Service's traffic.istio.io/nodeSelector matches). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly locality: Locality;
  readonly internalIPs: readonly string[];
  readonly externalIPs: readonly string[];
  /** status.nodeInfo.kubeletVersion (what Istio's injector reads to decide on native sidecars). */
  readonly kubeletVersion?: string;
}

/** A Namespace, reduced to what the mesh reads from it. */
export interface NamespaceRecord {
  readonly name: string;
  /** Its topology.istio.io/network label: on the system namespace (istio-system), the kube cluster's network. */
  readonly network?: string;
  /** Its networking.istio.io/traffic-distribution annotation: the default of its Services (as Istio). */
  readonly trafficDistribution?: string;
}

/** One workload endpoint of a service port, in one kube cluster. */
export interface WorkloadEndpoint {
  readonly kubeCluster: string;
  readonly address: string;
  /** The port the workload listens on for this service port. */
  readonly port: number;
  readonly servicePortName: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  readonly network: string;
  readonly locality: Locality;
  readonly tlsMode: TlsMode;
  /** A WorkloadEntry's weight (Istio's LbWeight; absent = 1). */
  readonly weight?: number;
  /** Istio's locality label when not region/zone/subzone (a WorkloadEntry's, as written): its own locality group. */
  readonly localityGroup?: string;
  /** Set for an endpoint from a WorkloadEntry (its name): what the endpoint came from. */
  readonly workloadEntry?: string;
  /** A WorkloadEntry's workload name for telemetry when not its name (its auto-registration group, or label). */
  readonly workloadName?: string;
  /** Set when its kube cluster is draining (karmada.drainNotReady): why; EDS puts it behind healthy endpoints. */
  readonly draining?: string;
}

/** A service merged across kube clusters by namespace/name ("namespace sameness"). */
export interface MeshService {
  readonly hostname: string;
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePort[];
  /** ClusterIP per kube cluster that has the service. */
  readonly vips: Readonly<Record<string, string>>;
  readonly headless: boolean;
  /** spec.trafficDistribution of the first kube cluster's Service that sets it. */
  readonly trafficDistribution?: string;
  readonly kubeClusters: readonly string[];
  readonly serviceAccounts: readonly string[];
  /** Set for a host a ServiceEntry adds (not a kube Service). */
  readonly serviceEntry?: {
    readonly name: string;
    readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
    readonly resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
    readonly exportTo?: readonly string[];
  };
}

export interface NetworkGateway {
  readonly network: string;
  readonly address: string;
  readonly port: number;
  readonly kubeCluster?: string;
  readonly locality?: Locality;
  /** The hostname the address was resolved from (a LoadBalancer ingress hostname or a meshNetworks address). */
  readonly hostname?: string;
}

export interface ProxyWorkload {
  readonly kubeCluster: string;
  readonly pod: PodRecord;
  readonly network: string;
  readonly locality: Locality;
}

export interface MeshSnapshot {
  readonly domainSuffix: string;
  readonly trustDomain: string;
  /** Services by FQDN, sorted by FQDN. */
  readonly services: ReadonlyMap<string, MeshService>;
  /** Endpoints by FQDN, then service port number; shards of all kube clusters, sorted deterministically. */
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>;
  /** Gateways per network, sorted by address:port. */
  readonly gateways: ReadonlyMap<string, readonly NetworkGateway[]>;
  /** Workloads (pods) by IP, for inferring missing proxy metadata. Several when IPs overlap across clusters. */
  readonly workloadsByIp: ReadonlyMap<string, readonly ProxyWorkload[]>;
  readonly kubeClusters: readonly string[];
  /**
   * The networks config and kube clusters name, sorted: meshNetworks' networks, each kube cluster's
   * (configured, or its istio-system Namespace's label) and those with gateways. A pod's own network
   * label may name one more (see workloadsByIp).
   */
  readonly networks: readonly string[];
  /** Accepted Istio config objects (VirtualService, DestinationRule, ...); empty when no config source is set. */
  readonly istioConfig: IstioConfigSet;
  /** meshpilot.yaml's `mesh:` (Istio MeshConfig fields); absent = Istio's defaults. */
  readonly meshConfig?: MeshConfigDefaults;
  /** meshpilot.yaml's `optIn:`: improvements over Istio's output, each off (Istio's behaviour) unless set. */
  readonly optIn?: OptIns;
}

/**
 * meshpilot's deliberate improvements over Istio's output (README divergence table, `explain`):
 * - gatewayEjectionRemedy: clusters with outlier detection that may hold east-west gateway endpoints
 *   keep a 1 % panic threshold (Envoy) and max_ejection_percent 0 (proxyless gRPC), so one failing
 *   remote workload cannot eject a network's only gateway endpoint;
 * - grpcOutlierDetection: a DestinationRule's outlier detection reaches proxyless gRPC clients as
 *   failure-percentage ejection (Istio sends them none: gRPC has no consecutive-5xx ejection).
 */
export interface OptIns {
  readonly gatewayEjectionRemedy?: boolean;
  readonly grpcOutlierDetection?: boolean;
}

/** The Istio MeshConfig fields meshpilot reads (meshpilot.yaml `mesh:`), with Istio's meaning. */
export interface MeshConfigDefaults {
  /** Mesh-wide locality load balancing, for services whose DestinationRule and Service set none (Istio's default: enabled). */
  readonly localityLbSetting?: LocalityLbSetting;
  /** Per-host settings: `clusterLocal` keeps a host's endpoints to proxies of the same kube cluster. */
  readonly serviceSettings?: readonly ServiceSettings[];
  /** Other trust domains whose workloads count as this mesh's (Istio's trustDomainAliases): client SANs accept them. */
  readonly trustDomainAliases?: readonly string[];
  /** Every cluster's connect timeout unless a DestinationRule sets one (Istio's default 10 s), in milliseconds. */
  readonly connectTimeout?: number;
}

/** Istio's MeshConfig.ServiceSettings: hosts are FQDNs or "*."-prefixed wildcards. */
export interface ServiceSettings {
  readonly settings?: { readonly clusterLocal?: boolean };
  readonly hosts: readonly string[];
}
