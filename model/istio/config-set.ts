import type { AnyIstioConfig, ConfigMeta, IstioConfig, IstioConfigSet, IstioKind } from './types.ts';

export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

export const ISTIO_KINDS: readonly IstioKind[] = [
  'VirtualService',
  'DestinationRule',
  'ServiceEntry',
  'WorkloadEntry',
  'Sidecar',
  'PeerAuthentication',
  'AuthorizationPolicy',
  'Telemetry',
  'Gateway',
  'WorkloadGroup',
];

/** The IstioConfigSet field holding each kind. */
export const SET_FIELD = {
  VirtualService: 'virtualServices',
  DestinationRule: 'destinationRules',
  ServiceEntry: 'serviceEntries',
  WorkloadEntry: 'workloadEntries',
  Sidecar: 'sidecars',
  PeerAuthentication: 'peerAuthentications',
  AuthorizationPolicy: 'authorizationPolicies',
  Telemetry: 'telemetries',
  Gateway: 'gateways',
  WorkloadGroup: 'workloadGroups',
} as const satisfies Record<IstioKind, keyof IstioConfigSet>;

export const EMPTY_ISTIO_CONFIG: IstioConfigSet = {
  rootNamespace: DEFAULT_ROOT_NAMESPACE,
  virtualServices: [],
  destinationRules: [],
  serviceEntries: [],
  workloadEntries: [],
  sidecars: [],
  peerAuthentications: [],
  authorizationPolicies: [],
  telemetries: [],
  gateways: [],
  workloadGroups: [],
};

/** "Kind namespace/name": one object's identity across sources. */
export function configKey(config: {
  readonly kind: IstioKind;
  readonly meta: { readonly namespace: string; readonly name: string };
}): string {
  return `${config.kind} ${config.meta.namespace}/${config.meta.name}`;
}

function byNamespaceThenName(a: AnyIstioConfig, b: AnyIstioConfig): number {
  const ns = a.meta.namespace < b.meta.namespace ? -1 : a.meta.namespace > b.meta.namespace ? 1 : 0;
  if (ns !== 0) return ns;
  return a.meta.name < b.meta.name ? -1 : a.meta.name > b.meta.name ? 1 : 0;
}

function ofKind<K extends IstioKind>(sorted: readonly AnyIstioConfig[], kind: K): IstioConfig<K>[] {
  // `kind` discriminates the union; TypeScript cannot narrow a generic K through filter().
  return sorted.filter((c) => c.kind === kind) as unknown as IstioConfig<K>[];
}

/**
 * Groups accepted objects per kind, sorted by namespace then name (code-point order, so the
 * result does not depend on the locale). The caller guarantees one object per key. Pure.
 */
export function buildIstioConfigSet(
  objects: readonly AnyIstioConfig[],
  rootNamespace: string = DEFAULT_ROOT_NAMESPACE,
): IstioConfigSet {
  const sorted = [...objects].sort(byNamespaceThenName);
  return {
    rootNamespace,
    virtualServices: ofKind(sorted, 'VirtualService'),
    destinationRules: ofKind(sorted, 'DestinationRule'),
    serviceEntries: ofKind(sorted, 'ServiceEntry'),
    workloadEntries: ofKind(sorted, 'WorkloadEntry'),
    sidecars: ofKind(sorted, 'Sidecar'),
    peerAuthentications: ofKind(sorted, 'PeerAuthentication'),
    authorizationPolicies: ofKind(sorted, 'AuthorizationPolicy'),
    telemetries: ofKind(sorted, 'Telemetry'),
    gateways: ofKind(sorted, 'Gateway'),
    workloadGroups: ofKind(sorted, 'WorkloadGroup'),
  };
}

/** Every object of the set, kind by kind in ISTIO_KINDS order. */
export function allConfigs(set: IstioConfigSet): AnyIstioConfig[] {
  return ISTIO_KINDS.flatMap((kind): readonly AnyIstioConfig[] => set[SET_FIELD[kind]]);
}

export function configCount(set: IstioConfigSet): number {
  return ISTIO_KINDS.reduce((sum, kind) => sum + set[SET_FIELD[kind]].length, 0);
}

/**
 * Istio's conflict rule: the oldest object wins (creationTimestamp), then namespace/name. Objects
 * without a timestamp (from files) count as newer than any with one.
 */
export function oldestFirst(a: { readonly meta: ConfigMeta }, b: { readonly meta: ConfigMeta }): number {
  const ta = a.meta.creationTimestamp;
  const tb = b.meta.creationTimestamp;
  if (ta !== tb) {
    if (ta === undefined) return 1;
    if (tb === undefined) return -1;
    const diff = Date.parse(ta) - Date.parse(tb);
    if (diff !== 0 && !Number.isNaN(diff)) return diff;
  }
  const ka = `${a.meta.namespace}/${a.meta.name}`;
  const kb = `${b.meta.namespace}/${b.meta.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
