import { localityKey } from './locality.ts';
import type { Locality } from './types.ts';

export type Generator = 'envoy' | 'grpc';
export type ProxyType = 'sidecar' | 'router';

/**
 * Everything about a proxy that its generated configuration depends on. Proxies with equal views
 * receive identical bytes, so the cache computes and encodes once per view.
 */
export interface ProxyView {
  readonly generator: Generator;
  readonly proxyType: ProxyType;
  /** ROUTER_MODE: `sni-dnat` for east-west gateways. */
  readonly routerMode: 'standard' | 'sni-dnat';
  readonly network: string;
  readonly locality: Locality;
  readonly kubeCluster: string;
  readonly namespace: string;
  /** ISTIO_META_REQUESTED_NETWORK_VIEW: networks a gateway may see; empty = all. */
  readonly requestedNetworkView: readonly string[];
  /**
   * The IP families of the proxy's addresses (INSTANCE_IPS, else node.id's IP), as Istio's ipMode:
   * a single-family proxy is sent only the east-west gateways of its family. Undefined: unknown (all).
   */
  readonly ipFamily?: 'ipv4' | 'ipv6' | 'dual';
  /**
   * The proxy's own IP (from node.id), when known. Sidecar inbound listeners/clusters and proxyless
   * gRPC server listeners are built from the services whose endpoints carry this IP in `kubeCluster`.
   * It makes views per workload; types that do not read it are listed by `viewForType` (translators/index.ts).
   */
  readonly workloadIp?: string;
  /**
   * The proxy's pod labels (node metadata LABELS over its pod's labels): the Gateways whose selector a
   * router's labels match configure it; failoverPriority entries naming a pod label match the proxy's.
   * The shared part of a sidecar's or proxyless client's view keeps only the labels some failoverPriority
   * names (translators/index.ts sharedView), so other labels do not split views.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export function viewKey(view: ProxyView): string {
  return [
    view.generator,
    view.proxyType,
    view.routerMode,
    view.network,
    localityKey(view.locality),
    view.kubeCluster,
    view.namespace,
    view.requestedNetworkView.join(','),
    view.ipFamily ?? '',
    view.workloadIp ?? '',
    view.labels === undefined ? '' : labelsKey(view.labels),
  ].join('|');
}

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
