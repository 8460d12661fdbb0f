import { findByResource, type ResourceType } from './resources.ts';

/** What a resource URL names, following the API server's own RequestInfo rules. */
export interface ResourceRequest {
  type: ResourceType;
  /** undefined for cluster-scoped types and all-namespaces requests */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

export type ParsedPath =
  | { kind: 'resource'; request: ResourceRequest }
  | { kind: 'unknown-resource'; group: string; version: string; resource: string }
  | { kind: 'other' };

const namespaceSubresources = new Set(['status', 'finalize']);

export function parseResourcePath(pathname: string): ParsedPath {
  const parts = pathname
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return { kind: 'other' };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    const third = rest[2];
    if (rest.length > 2 && third !== undefined && !namespaceSubresources.has(third)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const type = findByResource(group, version, resource);
  if (!type) return { kind: 'unknown-resource', group, version, resource };
  const namespacedPath = namespace !== undefined && resource !== 'namespaces';
  if (rest.length > 3 || (namespacedPath && !type.namespaced))
    return { kind: 'unknown-resource', group, version, resource: rest.join('/') };
  return {
    kind: 'resource',
    request: { type, namespace: type.namespaced ? namespace : undefined, name: rest[1], subresource: rest[2] },
  };
}
