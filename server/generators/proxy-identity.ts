import { isIP } from 'node:net';
import type { Generator, ProxyType, ProxyView } from '../../model/proxy-view.ts';
import { isEmptyLocality, NO_LOCALITY } from '../../model/locality.ts';
import type { Locality, MeshSnapshot, ProxyWorkload } from '../../model/types.ts';
import { structToJson, type NodeMessage } from '../xds/wire.ts';

/** A connected proxy: who it is (from node.id, metadata, locality, or inferred from its pod) and its view. */
export interface ConnectedProxy {
  readonly id: string;
  readonly type: ProxyType;
  readonly ip?: string;
  readonly podName?: string;
  readonly serviceAccount?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly istioVersion?: string;
  readonly view: ProxyView;
}

export type ProxyParseResult = { ok: true; proxy: ConnectedProxy } | { ok: false; error: string };

function stringField(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key] ?? metadata[`ISTIO_META_${key}`];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function labelsField(metadata: Record<string, unknown>): Record<string, string> {
  const value = metadata.LABELS;
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * Parses node.id (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.<suffix>`, `router~…`; any id without '~' is
 * accepted as an opaque id) and node.metadata; fills what is missing from the pod with the
 * proxy's IP in the registry. Never throws: a malformed node is an error result naming the field.
 */
export function parseProxyNode(node: NodeMessage | undefined, snapshot: MeshSnapshot | undefined): ProxyParseResult {
  if (!node) return { ok: false, error: 'the first request of a stream must carry node' };
  const id = node.id ?? '';
  if (id === '') return { ok: false, error: 'node.id is empty' };

  let type: ProxyType = 'sidecar';
  let ip: string | undefined;
  let podName: string | undefined;
  let namespace: string | undefined;
  if (id.includes('~')) {
    const parts = id.split('~');
    if (parts.length !== 4) {
      return {
        ok: false,
        error: `node.id "${id}" must have 4 parts <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<suffix>, got ${parts.length}`,
      };
    }
    const [kind, address, podPart, domain] = parts as [string, string, string, string];
    if (kind !== 'sidecar' && kind !== 'router') {
      return { ok: false, error: `node.id type "${kind}" must be sidecar or router` };
    }
    type = kind;
    ip = address || undefined;
    const dot = podPart.indexOf('.');
    podName = dot > 0 ? podPart.slice(0, dot) : podPart || undefined;
    namespace = dot > 0 ? podPart.slice(dot + 1) : domain.split('.')[0] || undefined;
  }

  const metadata = node.metadata ? structToJson(node.metadata) : {};
  const workload = inferWorkload(snapshot, ip, stringField(metadata, 'CLUSTER_ID'));
  const kubeCluster = stringField(metadata, 'CLUSTER_ID') ?? workload?.kubeCluster ?? '';
  const nodeLocality: Locality = {
    region: node.locality?.region ?? '',
    zone: node.locality?.zone ?? '',
    subZone: node.locality?.sub_zone ?? '',
  };
  // As Istio (setTopologyLabels): the registry's locality of the proxy's pod (its node's labels) first,
  // node.locality only for a proxy without a known pod or whose node has no topology labels.
  const podLocality = workload && !isEmptyLocality(workload.locality) ? workload.locality : undefined;
  const locality = podLocality ?? (!isEmptyLocality(nodeLocality) ? nodeLocality : NO_LOCALITY);
  const generatorValue = stringField(metadata, 'GENERATOR');
  const generator: Generator = generatorValue === 'grpc' ? 'grpc' : 'envoy';
  const labels = { ...workload?.pod.labels, ...labelsField(metadata) };
  const serviceAccount = stringField(metadata, 'SERVICE_ACCOUNT') ?? workload?.pod.serviceAccount;
  const istioVersion = stringField(metadata, 'ISTIO_VERSION');

  return {
    ok: true,
    proxy: {
      id,
      type,
      ...(ip ? { ip } : {}),
      ...(podName ? { podName } : {}),
      ...(serviceAccount ? { serviceAccount } : {}),
      labels,
      ...(istioVersion ? { istioVersion } : {}),
      view: {
        generator,
        proxyType: type,
        routerMode: stringField(metadata, 'ROUTER_MODE') === 'sni-dnat' ? 'sni-dnat' : 'standard',
        // As Istio: the network is the proxy's NETWORK metadata only; a proxy without one has none (and
        // reaches every network that has gateways through them), whatever its pod's network.
        network: stringField(metadata, 'NETWORK') ?? '',
        locality,
        kubeCluster,
        namespace: stringField(metadata, 'NAMESPACE') ?? namespace ?? workload?.pod.namespace ?? '',
        requestedNetworkView: (stringField(metadata, 'REQUESTED_NETWORK_VIEW') ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== ''),
        ...ipFamilyOf(stringField(metadata, 'INSTANCE_IPS'), ip),
        ...(ip ? { workloadIp: ip } : {}),
        ...(Object.keys(labels).length > 0 ? { labels } : {}),
      },
    },
  };
}

/**
 * Istio's DiscoverIPMode over the proxy's addresses: INSTANCE_IPS when every entry is an IP, else
 * node.id's IP; none valid: unknown.
 */
function ipFamilyOf(instanceIps: string | undefined, ip: string | undefined): Pick<ProxyView, 'ipFamily'> {
  const listed = (instanceIps ?? '').split(',').map((a) => a.trim());
  const addresses = listed.length > 0 && listed.every((a) => isIP(a) !== 0) ? listed : ip ? [ip] : [];
  const v4 = addresses.some((a) => isIP(a) === 4);
  const v6 = addresses.some((a) => isIP(a) === 6);
  return v4 && v6 ? { ipFamily: 'dual' } : v4 ? { ipFamily: 'ipv4' } : v6 ? { ipFamily: 'ipv6' } : {};
}

function inferWorkload(
  snapshot: MeshSnapshot | undefined,
  ip: string | undefined,
  kubeCluster: string | undefined,
): ProxyWorkload | undefined {
  if (!snapshot || !ip) return undefined;
  const candidates = snapshot.workloadsByIp.get(ip) ?? [];
  return kubeCluster
    ? candidates.find((w) => w.kubeCluster === kubeCluster)
    : candidates.length === 1
      ? candidates[0]
      : undefined;
}
