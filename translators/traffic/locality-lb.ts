import { REGION_LABEL, SUBZONE_LABEL, ZONE_LABEL } from '../../model/locality.ts';
import type { LocalityLbSetting, TrafficPolicy } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { Locality, MeshService, MeshSnapshot } from '../../model/types.ts';
import type { EffectivePolicy } from './destination-rule.ts';

export const NETWORK_LABEL = 'topology.istio.io/network';
export const CLUSTER_LABEL = 'topology.istio.io/cluster';

/**
 * The locality load-balancing setting in effect for one cluster (Istio's GetEffectiveLbSetting,
 * pilot/pkg/networking/core/loadbalancer): the DestinationRule's localityLbSetting, else the
 * Service's trafficDistribution (PreferClose / PreferSameZone: failoverPriority network, region,
 * zone, always applied), else the mesh default (enabled, nothing configured). Failover and
 * failoverPriority apply only with outlier detection ("otherwise Envoy never detects the hosts are
 * unhealthy") or when forced by trafficDistribution; distribute applies regardless.
 */
export interface LocalityPolicy {
  /** Undefined: locality load balancing is off (localityLbSetting enabled: false). */
  readonly setting?: LocalityLbSetting;
  readonly enableFailover: boolean;
  /** Where the setting comes from, for explanations. */
  readonly source: string;
}

export const NO_LOCALITY_POLICY: LocalityPolicy = { enableFailover: false, source: 'no locality load balancing' };

const PREFER_CLOSE = new Set(['preferclose', 'prefersamezone']);

export function localityPolicyFor(
  policy: EffectivePolicy,
  service: MeshService | undefined,
  meshSetting?: LocalityLbSetting,
): LocalityPolicy {
  const outlierDetection = policy.outlierDetection !== undefined;
  const setting = policy.loadBalancer?.localityLbSetting;
  if (setting) {
    if (setting.enabled === false) return { enableFailover: false, source: 'localityLbSetting enabled: false' };
    return { setting, enableFailover: outlierDetection, source: 'the DestinationRule localityLbSetting' };
  }
  const distribution = service?.trafficDistribution?.toLowerCase();
  if (distribution !== undefined && PREFER_CLOSE.has(distribution)) {
    return {
      setting: { failoverPriority: [NETWORK_LABEL, REGION_LABEL, ZONE_LABEL] },
      enableFailover: true,
      source: `trafficDistribution ${service?.trafficDistribution}`,
    };
  }
  // meshpilot.yaml `mesh.localityLbSetting`, as Istio's MeshConfig.localityLbSetting (default: enabled, nothing set).
  if (meshSetting !== undefined) {
    if (meshSetting.enabled === false)
      return { enableFailover: false, source: 'mesh localityLbSetting enabled: false' };
    return { setting: meshSetting, enableFailover: outlierDetection, source: 'the mesh localityLbSetting' };
  }
  return { setting: {}, enableFailover: outlierDetection, source: 'the mesh default locality setting' };
}

/** The fields of an endpoint (or gateway endpoint) that locality rules read. */
export interface LocatedEndpoint {
  readonly locality: Locality;
  readonly network: string;
  readonly kubeCluster?: string;
  /** Pod labels; undefined for gateway endpoints, which carry only their network and kube cluster. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly weight: number;
}

/** Istio's locality patterns "region/zone/subzone": "*" or a missing part matches anything (util.LocalityMatch). */
export function localityMatches(pattern: string, locality: Locality): boolean {
  const [region = '', zone = '', subZone = ''] = pattern.split('/');
  return (
    (region === '*' || region === locality.region) &&
    (zone === '*' || zone === '' || zone === locality.zone) &&
    (subZone === '*' || subZone === '' || subZone === locality.subZone)
  );
}

/** An endpoint's labels as Istio augments them with its topology (gateway endpoints: network and kube cluster only). */
function endpointLabel(endpoint: LocatedEndpoint, key: string): string {
  if (endpoint.labels === undefined) {
    if (key === NETWORK_LABEL) return endpoint.network;
    if (key === CLUSTER_LABEL) return endpoint.kubeCluster ?? '';
    return '';
  }
  const own = endpoint.labels[key];
  if (own !== undefined && own !== '') return own;
  switch (key) {
    case NETWORK_LABEL:
      return endpoint.network;
    case CLUSTER_LABEL:
      return endpoint.kubeCluster ?? '';
    case REGION_LABEL:
      return endpoint.locality.region;
    case ZONE_LABEL:
      return endpoint.locality.zone;
    case SUBZONE_LABEL:
      return endpoint.locality.subZone;
    default:
      return '';
  }
}

/** The proxy's value of a failoverPriority label: its topology, else the label as given ("key=value"), else ''. */
function proxyLabel(view: ProxyView, key: string): string {
  switch (key) {
    case NETWORK_LABEL:
      return view.network;
    case CLUSTER_LABEL:
      return view.kubeCluster;
    case REGION_LABEL:
      return view.locality.region;
    case ZONE_LABEL:
      return view.locality.zone;
    case SUBZONE_LABEL:
      return view.locality.subZone;
    default:
      // Any other label: the proxy's own pod label, as Istio matches it against proxy.Labels.
      return view.labels?.[key] ?? '';
  }
}

const TOPOLOGY_KEYS = new Set([NETWORK_LABEL, CLUSTER_LABEL, REGION_LABEL, ZONE_LABEL, SUBZONE_LABEL]);
const failoverKeysBySnapshot = new WeakMap<MeshSnapshot, ReadonlySet<string>>();

/**
 * The pod label keys some failoverPriority of the snapshot (DestinationRules at every level, the mesh's
 * localityLbSetting) matches against the proxy's own labels: not the topology keys (read from the proxy's
 * network, kube cluster and locality) nor entries with a value of their own (`key=value`). A proxy view
 * keeps only these labels for its endpoints (translators/index.ts sharedView). Derived data of an immutable
 * snapshot, so memoised by it.
 */
export function failoverLabelKeys(snapshot: MeshSnapshot): ReadonlySet<string> {
  const known = failoverKeysBySnapshot.get(snapshot);
  if (known) return known;
  const keys = new Set<string>();
  const add = (setting: LocalityLbSetting | undefined): void => {
    for (const entry of setting?.failoverPriority ?? []) {
      if (entry.includes('=')) continue;
      if (!TOPOLOGY_KEYS.has(entry)) keys.add(entry);
    }
  };
  const addPolicy = (policy: TrafficPolicy | undefined): void => {
    add(policy?.loadBalancer?.localityLbSetting);
    for (const port of policy?.portLevelSettings ?? []) add(port.loadBalancer?.localityLbSetting);
  };
  add(snapshot.meshConfig?.localityLbSetting);
  for (const rule of snapshot.istioConfig.destinationRules) {
    addPolicy(rule.spec.trafficPolicy);
    for (const subset of rule.spec.subsets ?? []) addPolicy(subset.trafficPolicy);
  }
  failoverKeysBySnapshot.set(snapshot, keys);
  return keys;
}

/**
 * Istio's applyFailoverPriorityPerLocality: the rank of one endpoint by the first failoverPriority
 * label whose value differs from the proxy's; a differing network (when it is the first label) only
 * ranks the endpoint after every same-network one.
 */
function failoverPriorityRank(
  view: ProxyView,
  endpoint: LocatedEndpoint,
  labels: readonly string[],
): { rank: number; differing: string[] } {
  const includesNetwork = labels[0] === NETWORK_LABEL;
  let priority = 0;
  let adjust = 0;
  const differing: string[] = [];
  for (let j = 0; j < labels.length; j += 1) {
    const [key = '', override] = labels[j]!.split('=');
    const proxyValue = override ?? proxyLabel(view, key);
    if (proxyValue === endpointLabel(endpoint, key)) continue;
    differing.push(key);
    if (j === 0 && includesNetwork) {
      adjust = labels.length;
      continue;
    }
    priority = labels.length - j;
    break;
  }
  return { rank: priority + adjust, differing };
}

/** Istio's LbPriority, with `failover`: 0 same region/zone/subzone, 1 same zone, 2 same region, 3 other, 4 not the failover target. */
function localityRank(view: ProxyView, endpoint: LocatedEndpoint, setting: LocalityLbSetting): number {
  const proxy = view.locality;
  const target = endpoint.locality;
  if (proxy.region === target.region) {
    if (proxy.zone !== target.zone) return 2;
    return proxy.subZone === target.subZone ? 0 : 1;
  }
  const rule = setting.failover?.find((f) => f.from === proxy.region);
  return rule && rule.to !== target.region ? 4 : 3;
}

/** Compacts ranks to contiguous priorities 0..k in rank order. */
function compact(ranks: readonly number[]): number[] {
  const distinct = [...new Set(ranks)].sort((a, b) => a - b);
  return ranks.map((rank) => distinct.indexOf(rank));
}

export interface PriorityDecision {
  readonly priority: number;
  readonly reason: string;
}

const RANK_WORDS = [
  'same region, zone and subzone',
  'same region and zone',
  'same region',
  'another region',
  'another region, not the failover target',
];

/** Every endpoint's priority for a view, as Istio's ApplyLocalityLoadBalancer sets them. Pure. */
export function endpointPriorities(
  view: ProxyView,
  endpoints: readonly LocatedEndpoint[],
  policy: LocalityPolicy,
): PriorityDecision[] {
  const setting = policy.setting;
  if (!setting) return endpoints.map(() => ({ priority: 0, reason: `${policy.source}: one priority` }));
  if (setting.distribute !== undefined && setting.distribute.length > 0)
    return endpoints.map(() => ({
      priority: 0,
      reason: `${policy.source} distribute: one priority, weighted localities`,
    }));
  if (!policy.enableFailover)
    return endpoints.map(() => ({
      priority: 0,
      reason: `${policy.source} without outlier detection: one priority (as Istio, failover needs outlier detection)`,
    }));
  const labels = setting.failoverPriority ?? [];
  const failover = setting.failover ?? [];
  if (labels.length > 0) {
    const byLabel = endpoints.map((e) => failoverPriorityRank(view, e, labels));
    const byLabels = compact(byLabel.map((r) => r.rank));
    const ranks =
      failover.length > 0 ? endpoints.map((e, i) => byLabels[i]! * 5 + localityRank(view, e, setting)) : byLabels;
    return compact(ranks).map((priority, i) => {
      const differing = byLabel[i]!.differing;
      const labelText =
        differing.length === 0
          ? `every failoverPriority label (${labels.join(', ')}) matches the proxy`
          : `failoverPriority label ${differing.join(' and ')} differs from the proxy's`;
      const then = failover.length > 0 ? `, then ${RANK_WORDS[localityRank(view, endpoints[i]!, setting)]}` : '';
      return { priority, reason: `${policy.source}: ${labelText}${then}` };
    });
  }
  const ranks = endpoints.map((e) => localityRank(view, e, setting));
  return compact(ranks).map((priority, i) => ({
    priority,
    reason: `${policy.source} with outlier detection: ${RANK_WORDS[ranks[i]!]}`,
  }));
}

/**
 * localityLbSetting.distribute (Istio's applyLocalityWeights): for the first rule whose `from`
 * matches the proxy, each `to` pattern's weight is shared by the localities it matches (not matched
 * by an earlier pattern) in proportion to their current weights, rounded up; localities in no `to`
 * are dropped. Returns each locality's new weight (by locality key), or undefined when no rule applies.
 */
export function distributeLocalityWeights(
  view: ProxyView,
  localities: ReadonlyMap<string, { readonly locality: Locality; readonly weight: number }>,
  policy: LocalityPolicy,
): Map<string, number | undefined> | undefined {
  const rule = policy.setting?.distribute?.find((d) => localityMatches(d.from, view.locality));
  if (!rule) return undefined;
  const out = new Map<string, number | undefined>([...localities.keys()].map((k) => [k, undefined]));
  const unmatched = new Set(localities.keys());
  for (const [pattern, weight] of Object.entries(rule.to)) {
    const matched = [...unmatched].filter((k) => localityMatches(pattern, localities.get(k)!.locality));
    const total = matched.reduce((sum, k) => sum + localities.get(k)!.weight, 0);
    for (const key of matched) {
      unmatched.delete(key);
      const original = localities.get(key)!.weight;
      const share = (original * weight) / total;
      out.set(key, share > 0 ? Math.ceil(share) : original);
    }
  }
  return out;
}
