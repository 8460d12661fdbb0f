import { isDeepStrictEqual } from 'node:util';
import type { MeshService, MeshSnapshot, NetworkGateway, WorkloadEndpoint } from './types.ts';

/** What changed between two snapshots, by service hostname. */
export interface SnapshotDelta {
  /** Services added, removed, or whose ports, VIPs or accounts changed. */
  readonly services: ReadonlySet<string>;
  /** Services whose endpoints changed (and nothing else). */
  readonly endpoints: ReadonlySet<string>;
  readonly gateways: boolean;
  /**
   * True when the Istio config set changed (any object added, removed or changed). shareUnchanged
   * always sets it; it is optional only so that deltas merged elsewhere (server/cache) still
   * compile — absent means false.
   */
  readonly config: boolean;
  /** True when there is no previous snapshot: everything is new. */
  readonly full: boolean;
}

export const FULL_DELTA: SnapshotDelta = {
  services: new Set(),
  endpoints: new Set(),
  gateways: true,
  config: true,
  full: true,
};

/** The change from the oldest to the newest of consecutive deltas (the one merge of changes). */
export function mergeDeltas(deltas: readonly SnapshotDelta[]): SnapshotDelta {
  const services = new Set<string>();
  const endpoints = new Set<string>();
  let gateways = false;
  let config = false;
  for (const delta of deltas) {
    if (delta.full) return FULL_DELTA;
    for (const hostname of delta.services) services.add(hostname);
    for (const hostname of delta.endpoints) endpoints.add(hostname);
    gateways ||= delta.gateways;
    config ||= delta.config;
  }
  return { services, endpoints, gateways, config, full: false };
}

export function isEmptyDelta(delta: SnapshotDelta): boolean {
  return !delta.full && !delta.gateways && !delta.config && delta.services.size === 0 && delta.endpoints.size === 0;
}

/**
 * Makes `next` share every unchanged service, endpoint list and gateway list with `previous`
 * (same object references), and reports what changed. Downstream caches compare by reference,
 * so the cost of a push follows the size of the change, not the size of the mesh. Pure.
 */
export function shareUnchanged(
  previous: MeshSnapshot | undefined,
  next: MeshSnapshot,
): { snapshot: MeshSnapshot; delta: SnapshotDelta } {
  if (!previous) return { snapshot: next, delta: FULL_DELTA };
  const services = new Map<string, MeshService>();
  const endpoints = new Map<string, ReadonlyMap<number, readonly WorkloadEndpoint[]>>();
  const changedServices = new Set<string>();
  const changedEndpoints = new Set<string>();

  for (const [hostname, service] of next.services) {
    const old = previous.services.get(hostname);
    if (old && isDeepStrictEqual(old, service)) services.set(hostname, old);
    else {
      services.set(hostname, service);
      changedServices.add(hostname);
    }
    const oldEndpoints = previous.endpoints.get(hostname);
    const newEndpoints = next.endpoints.get(hostname) ?? new Map<number, readonly WorkloadEndpoint[]>();
    if (oldEndpoints && isDeepStrictEqual(oldEndpoints, newEndpoints)) endpoints.set(hostname, oldEndpoints);
    else {
      endpoints.set(hostname, newEndpoints);
      if (!changedServices.has(hostname)) changedEndpoints.add(hostname);
    }
  }
  for (const hostname of previous.services.keys()) if (!next.services.has(hostname)) changedServices.add(hostname);

  const gatewaysSame = isDeepStrictEqual(previous.gateways, next.gateways);
  const gateways: ReadonlyMap<string, readonly NetworkGateway[]> = gatewaysSame ? previous.gateways : next.gateways;
  const configSame =
    previous.istioConfig === next.istioConfig || isDeepStrictEqual(previous.istioConfig, next.istioConfig);
  const istioConfig = configSame ? previous.istioConfig : next.istioConfig;
  return {
    snapshot: { ...next, services, endpoints, gateways, istioConfig },
    delta: {
      services: changedServices,
      endpoints: changedEndpoints,
      gateways: !gatewaysSame,
      config: !configSame,
      full: false,
    },
  };
}
