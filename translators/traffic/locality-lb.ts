import { localityKey, localityPriority, REGION_LABEL, SUBZONE_LABEL, ZONE_LABEL } from '../../model/locality.ts';
import type { LocalityLbSetting } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { Locality } from '../../model/types.ts';

/** What a DestinationRule's localityLbSetting does to one cluster's endpoints for one view. */
export interface LocalityPolicy {
  readonly setting?: LocalityLbSetting;
  /**
   * Whether failover / failoverPriority apply. Istio applies them to Envoy only with outlier
   * detection ("otherwise Envoy never drops to a lower priority": a host leaves a priority only
   * when ejected); proxyless gRPC moves to the next priority when a priority has no ready
   * subchannel, so meshpilot applies them to gRPC regardless.
   */
  readonly applyFailover: boolean;
}

export const NO_LOCALITY_POLICY: LocalityPolicy = { applyFailover: false };

/** The fields of an endpoint (or gateway endpoint) that locality rules read. */
export interface LocatedEndpoint {
  readonly locality: Locality;
  readonly network: string;
  readonly kubeCluster?: string;
}

export const NETWORK_LABEL = 'topology.istio.io/network';
export const CLUSTER_LABEL = 'topology.istio.io/cluster';

const PRIORITY_MATCH = ['same region, zone and subzone', 'same region and zone', 'same region', 'another region'];

function where(locality: Locality): string {
  return [locality.region, locality.zone, locality.subZone].filter((p) => p !== '').join('/') || '(none)';
}

/** Istio locality patterns "region/zone/subzone" with "*" (or missing parts) matching anything. */
export function localityMatches(pattern: string, locality: Locality): boolean {
  const parts = pattern.split('/');
  const values = [locality.region, locality.zone, locality.subZone];
  return parts.every((part, i) => part === '*' || part === values[i]);
}

/**
 * failoverPriority labels meshpilot can read for both sides: network, kube cluster, region, zone,
 * subzone. A view carries no pod labels, so any other key never matches (documented limit).
 */
function topologyValue(key: string, side: LocatedEndpoint): string | undefined {
  switch (key) {
    case NETWORK_LABEL:
      return side.network;
    case CLUSTER_LABEL:
      return side.kubeCluster;
    case REGION_LABEL:
      return side.locality.region;
    case ZONE_LABEL:
      return side.locality.zone;
    case SUBZONE_LABEL:
      return side.locality.subZone;
    default:
      return undefined;
  }
}

export interface PriorityRank {
  /** Compared lexicographically; equal ranks share a priority; ranks are then made contiguous. */
  readonly rank: readonly number[];
  readonly reason: string;
}

function defaultRank(view: ProxyView, endpoint: LocatedEndpoint): PriorityRank {
  const raw = localityPriority(view.locality, endpoint.locality);
  const match =
    view.locality.region === '' && view.locality.zone === '' ? 'the proxy has no locality' : PRIORITY_MATCH[raw]!;
  return { rank: [raw], reason: match };
}

/** The rank that orders an endpoint's priority for a view, and why. */
export function priorityRank(view: ProxyView, endpoint: LocatedEndpoint, policy: LocalityPolicy): PriorityRank {
  const setting = policy.setting;
  if (setting?.enabled === false) return { rank: [0], reason: 'localityLbSetting disabled: one priority' };
  if (setting?.distribute?.some((d) => localityMatches(d.from, view.locality)))
    return { rank: [0], reason: 'localityLbSetting distribute: one priority, weighted localities' };
  if (!policy.applyFailover) return defaultRank(view, endpoint);
  const proxy: LocatedEndpoint = { locality: view.locality, network: view.network, kubeCluster: view.kubeCluster };
  const labels = setting?.failoverPriority ?? [];
  if (labels.length > 0) {
    let matched = 0;
    for (const key of labels) {
      const value = topologyValue(key, proxy);
      if (value === undefined || value !== topologyValue(key, endpoint)) break;
      matched += 1;
    }
    const locality = defaultRank(view, endpoint);
    const which =
      matched === 0
        ? 'no failoverPriority label matches'
        : `failoverPriority matches ${labels.slice(0, matched).join(', ')}`;
    return { rank: [labels.length - matched, ...locality.rank], reason: `${which}; then ${locality.reason}` };
  }
  const rule = setting?.failover?.find((f) => localityMatches(f.from, view.locality));
  if (rule && view.locality.region !== endpoint.locality.region) {
    return localityMatches(rule.to, endpoint.locality)
      ? {
          rank: [3],
          reason: `failover from ${rule.from} to ${rule.to}: ${where(endpoint.locality)} is the failover target`,
        }
      : {
          rank: [4],
          reason: `failover from ${rule.from} to ${rule.to}: ${where(endpoint.locality)} is neither local nor the failover target`,
        };
  }
  return defaultRank(view, endpoint);
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Contiguous priorities 0..k from ranks: equal ranks share a priority. */
export function contiguousPriorities(ranks: readonly (readonly number[])[]): number[] {
  const distinct: (readonly number[])[] = [];
  for (const rank of ranks) if (!distinct.some((d) => compare(d, rank) === 0)) distinct.push(rank);
  distinct.sort(compare);
  return ranks.map((rank) => distinct.findIndex((d) => compare(d, rank) === 0));
}

/**
 * localityLbSetting.distribute for the view's locality: each endpoint's locality weight, or
 * undefined to drop it (its locality is in no `to`, or has weight 0). A `to` entry's weight is
 * split between the localities it matches in proportion to their endpoints, as Istio does;
 * weights are scaled by 1000 to stay integers. Undefined when no distribute rule applies.
 */
export function distributeWeights(
  view: ProxyView,
  endpoints: readonly LocatedEndpoint[],
  setting: LocalityLbSetting | undefined,
): (number | undefined)[] | undefined {
  if (setting?.enabled === false) return undefined;
  const rule = setting?.distribute?.find((d) => localityMatches(d.from, view.locality));
  if (!rule) return undefined;
  const targets = Object.entries(rule.to);
  const target = endpoints.map((e) => targets.findIndex(([pattern]) => localityMatches(pattern, e.locality)));
  const perTarget = new Map<number, number>();
  const perLocality = new Map<string, number>();
  endpoints.forEach((e, i) => {
    if (target[i]! < 0) return;
    perTarget.set(target[i]!, (perTarget.get(target[i]!) ?? 0) + 1);
    const key = `${target[i]}|${localityKey(e.locality)}`;
    perLocality.set(key, (perLocality.get(key) ?? 0) + 1);
  });
  return endpoints.map((e, i) => {
    const t = target[i]!;
    if (t < 0) return undefined;
    const weight = targets[t]![1];
    if (weight <= 0) return undefined;
    const share = (1000 * weight * perLocality.get(`${t}|${localityKey(e.locality)}`)!) / perTarget.get(t)!;
    return Math.max(1, Math.round(share));
  });
}
