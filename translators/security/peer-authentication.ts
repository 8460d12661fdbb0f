import type { IstioConfig, MutualTlsMode } from '../../model/istio/types.ts';
import { applicableConfigs, hasSelector, oldestFirst, type WorkloadScope } from './workload-scope.ts';

export type EffectiveMtlsMode = Exclude<MutualTlsMode, 'UNSET'>;

/** The inbound mTLS mode of one workload: a default and per-port exceptions (workload ports). */
export interface WorkloadMtls {
  readonly mode: EffectiveMtlsMode;
  readonly ports: ReadonlyMap<number, EffectiveMtlsMode>;
}

export const DEFAULT_MTLS: WorkloadMtls = { mode: 'PERMISSIVE', ports: new Map() };

function isSet(mtls: { readonly mode: MutualTlsMode } | undefined): mtls is { readonly mode: EffectiveMtlsMode } {
  return mtls !== undefined && mtls.mode !== 'UNSET';
}

/**
 * Istio's ComposePeerAuthentication: PERMISSIVE by default; the oldest mesh-wide policy (root
 * namespace, no selector), then the oldest namespace policy, then the oldest workload policy
 * (selector, not in the root namespace — selector policies there are ignored, as in Istio) each
 * override what is set (UNSET inherits). portLevelMtls only counts on the workload policy; an UNSET
 * port inherits the workload's mode. Pure.
 */
export function workloadMtls(
  policies: readonly IstioConfig<'PeerAuthentication'>[],
  scope: WorkloadScope,
): WorkloadMtls {
  const applicable = applicableConfigs(policies, scope).sort(oldestFirst);
  const mesh = applicable.find((p) => !hasSelector(p.spec.selector) && p.meta.namespace === scope.rootNamespace);
  const namespace = applicable.find((p) => !hasSelector(p.spec.selector) && p.meta.namespace !== scope.rootNamespace);
  const workload = applicable.find((p) => hasSelector(p.spec.selector) && p.meta.namespace !== scope.rootNamespace);
  let mode: EffectiveMtlsMode = DEFAULT_MTLS.mode;
  for (const level of [mesh, namespace, workload]) {
    const mtls = level?.spec.mtls;
    if (isSet(mtls)) mode = mtls.mode;
  }
  const ports = new Map<number, EffectiveMtlsMode>();
  for (const [port, mtls] of Object.entries(workload?.spec.portLevelMtls ?? {})) {
    ports.set(Number(port), isSet(mtls) ? mtls.mode : mode);
  }
  return { mode, ports };
}

export function mtlsModeForPort(mtls: WorkloadMtls, port: number): EffectiveMtlsMode {
  return mtls.ports.get(port) ?? mtls.mode;
}
