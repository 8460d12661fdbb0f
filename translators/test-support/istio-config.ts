import { buildIstioConfigSet } from '../../model/istio/config-set.ts';
import type { AnyIstioConfig, IstioConfig, IstioKind, IstioSpecs, Labels } from '../../model/istio/types.ts';
import type { MeshSnapshot } from '../../model/types.ts';

/** Test support: Istio objects as the config sources hand them to the model, and snapshots holding them. */

export function istioObject<K extends IstioKind>(
  kind: K,
  namespace: string,
  name: string,
  spec: IstioSpecs[K],
  creationTimestamp?: string,
): IstioConfig<K> {
  return {
    kind,
    meta: {
      namespace,
      name,
      resourceVersion: '1',
      labels: {},
      annotations: {},
      origin: { type: 'file', path: `${namespace}/${name}.yaml` },
      ...(creationTimestamp !== undefined ? { creationTimestamp } : {}),
    },
    spec,
  };
}

export function withIstioConfig(snapshot: MeshSnapshot, objects: readonly AnyIstioConfig[]): MeshSnapshot {
  return { ...snapshot, istioConfig: buildIstioConfigSet(objects, snapshot.istioConfig.rootNamespace) };
}

/** The snapshot with the pod(s) at `ip` carrying `labels` (on top of their own). */
export function withPodLabels(snapshot: MeshSnapshot, ip: string, labels: Labels): MeshSnapshot {
  const workloadsByIp = new Map(snapshot.workloadsByIp);
  const workloads = workloadsByIp.get(ip);
  if (!workloads) throw new Error(`no pod with IP ${ip} in the snapshot`);
  workloadsByIp.set(
    ip,
    workloads.map((w) => ({ ...w, pod: { ...w.pod, labels: { ...w.pod.labels, ...labels } } })),
  );
  return { ...snapshot, workloadsByIp };
}
