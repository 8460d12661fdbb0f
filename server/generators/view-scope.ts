import type { ProxyView } from '../../model/proxy-view.ts';
import { scopeSnapshot } from '../../model/sidecar-scope.ts';
import type { MeshSnapshot } from '../../model/types.ts';

/**
 * Which snapshot a view's resources are generated from: a sidecar in a mesh with Sidecar resources
 * sees the snapshot reduced to what its namespace's Sidecar lets it reach (one per namespace, so
 * the key is the namespace); every other view sees the whole snapshot (undefined key).
 */
export function scopeKeyOf(snapshot: MeshSnapshot, view: ProxyView): string | undefined {
  return view.proxyType === 'sidecar' && snapshot.istioConfig.sidecars.length > 0 ? view.namespace : undefined;
}

export function scopedSnapshot(snapshot: MeshSnapshot, namespace: string): MeshSnapshot {
  return scopeSnapshot(snapshot, namespace);
}

/** The view without the proxy's own workload: what the shared part of every type depends on. */
export function sharedView(view: ProxyView): ProxyView {
  if (view.workloadIp === undefined) return view;
  const { workloadIp: _dropped, ...rest } = view;
  return rest;
}
