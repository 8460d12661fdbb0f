import type { IstioConfig, IstioConfigSet, Subset, TrafficPolicy } from '../../model/istio/types.ts';
import type { MeshService } from '../../model/types.ts';
import { oldestFirst } from '../../model/istio/config-set.ts';
import { hostMatches, hostSpecificity, isExportedTo, namespaceRank, resolveHost } from './host-match.ts';

export type DestinationRule = IstioConfig<'DestinationRule'>;

/** The per-port, per-subset policy a cluster gets: each field replaced whole by the more specific level. */
export interface EffectivePolicy {
  readonly loadBalancer?: TrafficPolicy['loadBalancer'];
  readonly connectionPool?: TrafficPolicy['connectionPool'];
  readonly outlierDetection?: TrafficPolicy['outlierDetection'];
  readonly tls?: TrafficPolicy['tls'];
}

/**
 * The DestinationRule that applies to `service` for proxies in `viewNamespace`, Istio's way,
 * simplified: only rules exported to the view's namespace and without a workloadSelector (those
 * need the proxy's labels, which a view does not carry) take part; the most specific host wins
 * (exact, then the longest wildcard); on a tie the rule in the proxy's namespace, then in the
 * service's namespace, then in the root namespace, then the oldest. Rules are not merged. Pure.
 */
export function destinationRuleFor(
  config: IstioConfigSet,
  service: MeshService,
  viewNamespace: string,
  domainSuffix: string,
): DestinationRule | undefined {
  let best: { rule: DestinationRule; specificity: number; rank: number } | undefined;
  for (const rule of config.destinationRules) {
    if (rule.spec.workloadSelector) continue;
    if (!isExportedTo(rule.spec.exportTo, rule.meta.namespace, viewNamespace)) continue;
    const host = resolveHost(rule.spec.host, rule.meta.namespace, domainSuffix);
    if (!hostMatches(host, service.hostname)) continue;
    const candidate = {
      rule,
      specificity: hostSpecificity(host),
      rank: namespaceRank(rule.meta.namespace, viewNamespace, service.namespace, config.rootNamespace),
    };
    if (
      !best ||
      candidate.specificity > best.specificity ||
      (candidate.specificity === best.specificity &&
        (candidate.rank < best.rank || (candidate.rank === best.rank && oldestFirst(rule, best.rule) < 0)))
    ) {
      best = candidate;
    }
  }
  return best?.rule;
}

function atPort(policy: TrafficPolicy | undefined, port: number): EffectivePolicy {
  if (!policy) return {};
  const portLevel = policy.portLevelSettings?.find((p) => p.port.number === port);
  const merged: EffectivePolicy = {
    ...(policy.loadBalancer ? { loadBalancer: policy.loadBalancer } : {}),
    ...(policy.connectionPool ? { connectionPool: policy.connectionPool } : {}),
    ...(policy.outlierDetection ? { outlierDetection: policy.outlierDetection } : {}),
    ...(policy.tls ? { tls: policy.tls } : {}),
  };
  if (!portLevel) return merged;
  return {
    ...merged,
    ...(portLevel.loadBalancer ? { loadBalancer: portLevel.loadBalancer } : {}),
    ...(portLevel.connectionPool ? { connectionPool: portLevel.connectionPool } : {}),
    ...(portLevel.outlierDetection ? { outlierDetection: portLevel.outlierDetection } : {}),
    ...(portLevel.tls ? { tls: portLevel.tls } : {}),
  };
}

/**
 * Istio's merge: the rule's top-level policy, overridden by its portLevelSettings for the port,
 * overridden by the subset's policy (and the subset's own portLevelSettings). Each of
 * loadBalancer / connectionPool / outlierDetection / tls is replaced whole, never merged. Pure.
 */
export function effectivePolicy(rule: DestinationRule | undefined, port: number, subset?: Subset): EffectivePolicy {
  const base = atPort(rule?.spec.trafficPolicy, port);
  return subset ? { ...base, ...atPort(subset.trafficPolicy, port) } : base;
}

export function subsetsOf(rule: DestinationRule | undefined): readonly Subset[] {
  return rule?.spec.subsets ?? [];
}

export function labelsMatch(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
