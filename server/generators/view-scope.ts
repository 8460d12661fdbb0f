import type { ProxyView } from '../../model/proxy-view.ts';
import { hasRestrictedExports } from '../../model/service-visibility.ts';
import { scopeSnapshot } from '../../model/sidecar-scope.ts';
import type { MeshSnapshot } from '../../model/types.ts';

/** Whether a view's namespace Sidecar scopes it: sidecars only, in a mesh with Sidecar resources. */
function sidecarScoped(snapshot: MeshSnapshot, view: ProxyView): boolean {
  return view.proxyType === 'sidecar' && snapshot.istioConfig.sidecars.length > 0;
}

/**
 * Which snapshot a view's resources are generated from, as a key: a sidecar in a mesh with Sidecar resources
 * sees what its namespace's Sidecar lets it reach, and any proxy in a mesh with a ServiceEntry exported to
 * some namespaces only sees what its namespace is exported; what the scope depends on is the namespace and
 * whether the Sidecar applies, so both are the key. Every other view sees the whole snapshot (undefined key).
 */
export function scopeKeyOf(snapshot: MeshSnapshot, view: ProxyView): string | undefined {
  const sidecar = sidecarScoped(snapshot, view);
  if (!sidecar && !hasRestrictedExports(snapshot)) return undefined;
  return `${sidecar ? 'sidecar' : 'exports'}/${view.namespace}`;
}

/** The snapshot a view's resources are generated from (see scopeKeyOf; views of one key share it). */
export function scopedSnapshot(snapshot: MeshSnapshot, view: ProxyView): MeshSnapshot {
  return scopeSnapshot(snapshot, view.namespace, sidecarScoped(snapshot, view));
}

/** The view without the proxy's own workload (and labels no failoverPriority reads): see translators/index.ts. */
export { sharedView, sharedViewBasis } from '../../translators/index.ts';
