/** The fixed catalog of resource types the simulator serves, with what discovery tells about each. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** plural, lower case: the path segment */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function type(
  group: string,
  version: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceType, 'shortNames' | 'categories' | 'verbs' | 'resource'>> = {},
): ResourceType {
  return {
    group,
    version,
    kind,
    resource: extra.resource ?? `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    verbs: extra.verbs ?? allVerbs,
  };
}

const istio = ['istio-io'];

export const resourceTypes: readonly ResourceType[] = [
  type('', 'v1', 'Namespace', false, {
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  type('', 'v1', 'Node', false, { shortNames: ['no'] }),
  type('', 'v1', 'Pod', true, { shortNames: ['po'], categories: ['all'] }),
  type('', 'v1', 'Secret', true),
  type('', 'v1', 'Service', true, { shortNames: ['svc'], categories: ['all'] }),
  type('discovery.k8s.io', 'v1', 'EndpointSlice', true),
  type('networking.istio.io', 'v1', 'VirtualService', true, {
    shortNames: ['vs'],
    categories: [...istio, 'networking-istio-io'],
  }),
  type('networking.istio.io', 'v1', 'DestinationRule', true, {
    shortNames: ['dr'],
    categories: [...istio, 'networking-istio-io'],
  }),
  type('networking.istio.io', 'v1', 'ServiceEntry', true, {
    shortNames: ['se'],
    categories: [...istio, 'networking-istio-io'],
    resource: 'serviceentries',
  }),
  type('networking.istio.io', 'v1', 'WorkloadEntry', true, {
    shortNames: ['we'],
    categories: [...istio, 'networking-istio-io'],
    resource: 'workloadentries',
  }),
  type('networking.istio.io', 'v1', 'WorkloadGroup', true, {
    shortNames: ['wg'],
    categories: [...istio, 'networking-istio-io'],
  }),
  type('networking.istio.io', 'v1', 'Sidecar', true, { categories: [...istio, 'networking-istio-io'] }),
  type('networking.istio.io', 'v1', 'Gateway', true, {
    shortNames: ['gw'],
    categories: [...istio, 'networking-istio-io'],
  }),
  type('security.istio.io', 'v1', 'PeerAuthentication', true, {
    shortNames: ['pa'],
    categories: [...istio, 'security-istio-io'],
  }),
  type('security.istio.io', 'v1', 'AuthorizationPolicy', true, {
    shortNames: ['ap'],
    categories: [...istio, 'security-istio-io'],
    resource: 'authorizationpolicies',
  }),
  type('security.istio.io', 'v1', 'RequestAuthentication', true, {
    categories: [...istio, 'security-istio-io'],
  }),
  type('telemetry.istio.io', 'v1', 'Telemetry', true, {
    shortNames: ['telemetry'],
    categories: [...istio, 'telemetry-istio-io'],
    resource: 'telemetries',
  }),
  type('authentication.k8s.io', 'v1', 'TokenReview', false, { verbs: ['create'] }),
];

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function findByResource(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  return resourceTypes.find((t) => t.group === group && t.version === version && t.kind === kind);
}

/** Types that are stored (TokenReview is a virtual, create-only resource). */
export function isStored(type: ResourceType): boolean {
  return type.verbs.includes('get');
}

/** The group versions in the order discovery lists them (core "v1" first). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of resourceTypes) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  return [...seen.values()];
}

/** Stable key of a type, used in the store's maps. */
export function typeKey(type: ResourceType): string {
  return `${type.group}/${type.resource}`;
}
