import { isIP } from 'node:net';
import type { IstioConfig, WorkloadEntrySpec } from './istio/types.ts';
import { localityKey, POD_LOCALITY_LABEL, parseLocalityKey } from './locality.ts';
import { NO_LOCALITY, type KubeServiceRecord, type Locality, type ServicePort, type TlsMode } from './types.ts';
import type { WorkloadEndpoint } from './types.ts';

const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** A WorkloadEntry as a kube Service's endpoint source: its kube cluster (where Istio reads it) and spec. */
export interface WorkloadEntryIn {
  /** The kube cluster whose Services select it: the one it was read from, else the config kube cluster. */
  readonly kubeCluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly network: string;
  readonly locality: Locality;
  /** The locality as written (`region/zone`), when not region/zone/subzone: Istio groups endpoints by it. */
  readonly localityGroup?: string;
  readonly weight?: number;
  readonly serviceAccount?: string;
  readonly tlsMode: TlsMode;
  /** Istio's WorkloadNameFromWorkloadEntry when not the name: its WorkloadGroup's, or its workload-name label. */
  readonly workloadName?: string;
  /** Set when the source is a kube Pod (a ServiceEntry's workloadSelector picks pods too): healthy, no entry name. */
  readonly pod?: true;
}

const AUTO_REGISTRATION_GROUP = 'istio.io/autoRegistrationGroup';
const WORKLOAD_NAME_LABEL = 'service.istio.io/workload-name';

/**
 * Istio's WorkloadNameFromWorkloadEntry: the WorkloadGroup an entry was auto-registered from (its
 * istio.io/autoRegistrationGroup annotation), else its service.istio.io/workload-name label, else its name.
 */
export function workloadNameOf(meta: {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}): string {
  return meta.annotations[AUTO_REGISTRATION_GROUP] ?? meta.labels[WORKLOAD_NAME_LABEL] ?? meta.name;
}

/** WorkloadEntries by `kubeCluster/namespace`, in namespace/name order. */
export type WorkloadEntryIndex = ReadonlyMap<string, readonly WorkloadEntryIn[]>;

export const NO_WORKLOAD_ENTRIES: WorkloadEntryIndex = new Map();

/**
 * The WorkloadEntries kube Services may select, as Istio's ServiceEntry controller hands them to its kube
 * registries (serviceentry/conversion.go convertWorkloadEntryToWorkloadInstance): an entry read from a kube
 * cluster's API server belongs to that kube cluster (Istio's WorkloadEntryCrossCluster), one from a config
 * folder to the config kube cluster (the first of meshpilot.yaml). An entry whose address is a hostname or
 * a unix socket is for ServiceEntries only (DNSServiceEntryOnly). tlsMode is its security.istio.io/tlsMode
 * label, else istio when it has a service account; its locality is `locality`, else its istio-locality label;
 * its network is its own `network` only (Istio sets no other on the endpoint).
 */
export function indexWorkloadEntries(
  entries: readonly IstioConfig<'WorkloadEntry'>[],
  configKubeCluster: string | undefined,
): WorkloadEntryIndex {
  const out = new Map<string, WorkloadEntryIn[]>();
  for (const entry of entries) {
    const origin = entry.meta.origin;
    const kubeCluster = origin.type === 'kube' ? origin.kubeCluster : configKubeCluster;
    if (kubeCluster === undefined) continue;
    const found = workloadEntryIn(entry.spec, kubeCluster, entry.meta.namespace, entry.meta.name);
    if (found === undefined) continue;
    const workload = workloadNameOf(entry.meta);
    const converted = workload === entry.meta.name ? found : { ...found, workloadName: workload };
    const key = `${kubeCluster}/${entry.meta.namespace}`;
    const list = out.get(key) ?? [];
    list.push(converted);
    out.set(key, list);
  }
  return out;
}

/**
 * One WorkloadEntry (or ServiceEntry endpoint) as an endpoint source; undefined when its address is not an IP,
 * unless `hostnames` (the endpoints of a DNS ServiceEntry, which Envoy resolves); a unix socket never.
 */
export function workloadEntryIn(
  spec: WorkloadEntrySpec,
  kubeCluster: string,
  namespace: string,
  name: string,
  hostnames = false,
): WorkloadEntryIn | undefined {
  const address = spec.address ?? '';
  if (address !== '' && isIP(address) === 0 && (!hostnames || address.startsWith('unix://'))) return undefined;
  const labels = spec.labels ?? {};
  const tlsLabel = labels[TLS_MODE_LABEL];
  // As Istio: the locality field, else the istio-locality label with its dots as slashes.
  const label =
    spec.locality !== undefined && spec.locality !== ''
      ? spec.locality
      : (labels[POD_LOCALITY_LABEL]?.replaceAll('.', '/') ?? '');
  const locality = label === '' ? NO_LOCALITY : parseLocalityKey(label);
  const tlsMode: TlsMode =
    tlsLabel !== undefined ? (tlsLabel === 'istio' ? 'istio' : 'disabled') : spec.serviceAccount ? 'istio' : 'disabled';
  return {
    kubeCluster,
    namespace,
    name,
    address,
    ports: spec.ports ?? {},
    labels,
    network: spec.network ?? '',
    locality,
    ...(label !== '' && label !== localityKey(locality) ? { localityGroup: label } : {}),
    ...(spec.weight !== undefined && spec.weight > 0 ? { weight: spec.weight } : {}),
    ...(spec.serviceAccount ? { serviceAccount: spec.serviceAccount } : {}),
    tlsMode,
  };
}

/** Whether a kube Service adds the WorkloadEntries its selector picks (Istio: client-side load-balanced Services only). */
function selectsWorkloadEntries(service: KubeServiceRecord): boolean {
  return service.selector !== undefined && !service.headless && service.type !== 'ExternalName';
}

/**
 * The endpoints a kube Service gets from WorkloadEntries in its namespace whose labels its selector matches
 * (Istio's serviceInstancesFromWorkloadInstances), per service port: a numeric targetPort is the port unless
 * the entry names the service port in `ports`; a named targetPort must be one of the entry's `ports`.
 */
export function workloadEntryEndpoints(
  kubeCluster: string,
  service: KubeServiceRecord,
  ports: readonly ServicePort[],
  entries: WorkloadEntryIndex,
): { servicePort: number; endpoint: WorkloadEndpoint }[] {
  if (!selectsWorkloadEntries(service)) return [];
  const selected = (entries.get(`${kubeCluster}/${service.namespace}`) ?? []).filter((entry) =>
    Object.entries(service.selector ?? {}).every(([key, value]) => entry.labels[key] === value),
  );
  const out: { servicePort: number; endpoint: WorkloadEndpoint }[] = [];
  for (const servicePort of ports) {
    const own = service.ports.find((p) => p.name === servicePort.name || p.port === servicePort.port);
    if (!own) continue;
    for (const entry of selected) {
      const port = entryPort(own, entry);
      if (port === undefined) continue;
      out.push({ servicePort: servicePort.port, endpoint: entryEndpoint(entry, servicePort.name, port) });
    }
  }
  return out;
}

/** Istio's findServiceTargetPort + serviceInstanceFromWorkloadInstance. */
function entryPort(port: ServicePort, entry: WorkloadEntryIn): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'string') return entry.ports[target];
  return entry.ports[port.name] ?? target;
}

/** A WorkloadEntry (or ServiceEntry endpoint) as the endpoint of one service port. */
export function entryEndpoint(entry: WorkloadEntryIn, servicePortName: string, port: number): WorkloadEndpoint {
  return {
    kubeCluster: entry.kubeCluster,
    address: entry.address,
    port,
    servicePortName,
    ready: true,
    serving: true,
    terminating: false,
    labels: entry.labels,
    ...(entry.serviceAccount !== undefined ? { serviceAccount: entry.serviceAccount } : {}),
    network: entry.network,
    locality: entry.locality,
    ...(entry.localityGroup !== undefined ? { localityGroup: entry.localityGroup } : {}),
    tlsMode: entry.tlsMode,
    ...(entry.weight !== undefined ? { weight: entry.weight } : {}),
    ...(entry.pod ? { podName: entry.name } : { workloadEntry: entry.name }),
    ...(entry.workloadName !== undefined ? { workloadName: entry.workloadName } : {}),
  };
}
