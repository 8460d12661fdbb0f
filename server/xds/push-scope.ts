import type { SnapshotDelta } from '../../model/snapshot-delta.ts';

/**
 * What a push must look at. A full push diffs every subscribed type; an endpoint-only push looks
 * only at the EDS resources of the services whose endpoints changed, so its cost follows the
 * change and the streams subscribed to it, not the size of the mesh.
 */
export interface PushScope {
  readonly full: boolean;
  /** EDS for every service (e.g. gateways moved); implied by `full`. */
  readonly allEndpoints: boolean;
  readonly endpointHostnames: ReadonlySet<string>;
}

export const FULL_PUSH: PushScope = { full: true, allEndpoints: true, endpointHostnames: new Set() };
export const NO_PUSH: PushScope = { full: false, allEndpoints: false, endpointHostnames: new Set() };

export function scopeFromDelta(delta: SnapshotDelta): PushScope {
  // Istio config (routes, subsets, policies) can change any resource type of any proxy.
  if (delta.full || delta.config === true || delta.services.size > 0) return FULL_PUSH;
  if (delta.gateways) return { full: false, allEndpoints: true, endpointHostnames: new Set() };
  return { full: false, allEndpoints: false, endpointHostnames: delta.endpoints };
}

export function mergeScopes(a: PushScope, b: PushScope): PushScope {
  if (a.full || b.full) return FULL_PUSH;
  if (a.allEndpoints || b.allEndpoints) return { full: false, allEndpoints: true, endpointHostnames: new Set() };
  if (a.endpointHostnames.size === 0) return b;
  if (b.endpointHostnames.size === 0) return a;
  return {
    full: false,
    allEndpoints: false,
    endpointHostnames: new Set([...a.endpointHostnames, ...b.endpointHostnames]),
  };
}

export function isEmptyScope(scope: PushScope): boolean {
  return !scope.full && !scope.allEndpoints && scope.endpointHostnames.size === 0;
}
