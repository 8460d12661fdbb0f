import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  NAME_TABLE_TYPE,
  ROUTE_TYPE,
  type XdsTypeUrl,
} from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { buildClusters, buildSharedClusters, buildWorkloadClusters } from './cds.ts';
import { buildEndpoints } from './eds.ts';
import { buildListeners, buildSharedListeners, buildWorkloadListeners } from './lds.ts';
import { buildSharedRoutes, buildWorkloadRoutes } from './rds.ts';
import { buildNameTable } from './nds.ts';
import { failoverLabelKeys } from './traffic/locality-lb.ts';
import type { XdsResource } from './resource.ts';

export type Translator = (snapshot: MeshSnapshot, view: ProxyView) => XdsResource[];

/**
 * How a type is generated: `shared` depends only on the view without the proxy's own workload
 * (so every pod of a view shares it); `perWorkload`, when present, adds what depends on the
 * workload itself (inbound clusters and listeners). The cache memoizes the two separately.
 */
export interface TypeTranslator {
  readonly shared: Translator;
  readonly perWorkload?: Translator;
}

/** The translator for each type URL a view can ask for. */
export function translatorFor(typeUrl: XdsTypeUrl): TypeTranslator | undefined {
  switch (typeUrl) {
    case CLUSTER_TYPE:
      return { shared: buildSharedClusters, perWorkload: buildWorkloadClusters };
    case ENDPOINT_TYPE:
      return { shared: buildEndpoints };
    case LISTENER_TYPE:
      return { shared: buildSharedListeners, perWorkload: buildWorkloadListeners };
    case ROUTE_TYPE:
      return { shared: buildSharedRoutes, perWorkload: buildWorkloadRoutes };
    case NAME_TABLE_TYPE:
      return { shared: buildNameTable };
    default:
      return undefined;
  }
}

/**
 * The view without the proxy's own workload: what the shared part of every type depends on. A sidecar's
 * or proxyless client's labels are kept only where a failoverPriority of `snapshot` matches them
 * (failoverLabelKeys), so pods with other labels still share one view; a router keeps all its labels
 * (its Gateways select it by them).
 */
export function sharedView(view: ProxyView, snapshot: MeshSnapshot): ProxyView {
  const { workloadIp: _dropped, labels, ...rest } = view;
  if (labels === undefined || view.proxyType === 'router') return labels === undefined ? rest : { ...rest, labels };
  const keys = failoverLabelKeys(snapshot);
  const kept = Object.entries(labels).filter(([key]) => keys.has(key));
  return kept.length === 0 ? rest : { ...rest, labels: Object.fromEntries(kept) };
}

/**
 * What of `snapshot` sharedView reads, as a string: two snapshots with the same basis give every
 * view the same shared view, so it need not be worked out again per proxy.
 */
export function sharedViewBasis(snapshot: MeshSnapshot): string {
  return [...failoverLabelKeys(snapshot)].sort().join('\n');
}

/** Everything of one type for one proxy, shared and per-workload parts together. Pure. */
export function translateAll(typeUrl: XdsTypeUrl, snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const translator = translatorFor(typeUrl);
  if (!translator) return [];
  return [
    ...translator.shared(snapshot, sharedView(view, snapshot)),
    ...(translator.perWorkload?.(snapshot, view) ?? []),
  ];
}

export { buildClusters, buildListeners };
export type { XdsResource };
