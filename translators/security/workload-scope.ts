import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { ConfigMeta, Labels, WorkloadSelector } from '../../model/istio/types.ts';

/**
 * What workload-selected Istio policies (PeerAuthentication, AuthorizationPolicy, Telemetry) match
 * on: the proxy's namespace and its pod's labels. Labels come from the snapshot (pod by IP in the
 * proxy's kube cluster), as ProxyView carries none; an unknown pod has no labels, so only
 * namespace- and mesh-wide policies apply to it.
 */
export interface WorkloadScope {
  readonly namespace: string;
  readonly labels: Labels;
  readonly rootNamespace: string;
}

export function workloadScope(snapshot: MeshSnapshot, view: ProxyView): WorkloadScope {
  const candidates = view.workloadIp === undefined ? [] : (snapshot.workloadsByIp.get(view.workloadIp) ?? []);
  const workload = candidates.find((w) => view.kubeCluster === '' || w.kubeCluster === view.kubeCluster);
  return {
    namespace: view.namespace,
    labels: workload?.pod.labels ?? {},
    rootNamespace: snapshot.istioConfig.rootNamespace,
  };
}

/** True when every selector label is on the workload. An absent or empty selector is handled by the caller. */
export function selectorMatches(selector: WorkloadSelector, labels: Labels): boolean {
  return Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value);
}

export function hasSelector(selector: WorkloadSelector | undefined): selector is WorkloadSelector {
  return selector !== undefined && Object.keys(selector.matchLabels).length > 0;
}

/**
 * The objects of `configs` that apply to the workload, as Istio selects them: from the root
 * namespace or the workload's own, without a selector or with one the labels satisfy.
 */
export function applicableConfigs<
  T extends { readonly meta: ConfigMeta; readonly spec: { readonly selector?: WorkloadSelector } },
>(configs: readonly T[], scope: WorkloadScope): T[] {
  return configs.filter((config) => {
    const ns = config.meta.namespace;
    if (ns !== scope.rootNamespace && ns !== scope.namespace) return false;
    return !hasSelector(config.spec.selector) || selectorMatches(config.spec.selector, scope.labels);
  });
}

export { oldestFirst } from '../../model/istio/config-set.ts';
