import { createHash } from 'node:crypto';
import { apiVersionOf, groupVersions, resourceTypes, type ResourceType } from './resources.ts';
import type { JsonObject } from './types.ts';

/** Kinds whose `/status` subresource the simulator serves (get, update, patch). */
export const statusSubresourceKinds = new Set(['Pod', 'Service', 'Node', 'Namespace']);

export function versionInfo(): JsonObject {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-kube-sim',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreApiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string): JsonObject {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] ?? {} };
}

export function apiGroupList(): JsonObject {
  const groups = [
    ...new Set(
      groupVersions()
        .map((gv) => gv.group)
        .filter((group) => group !== ''),
    ),
  ];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

export function apiGroupDocument(group: string): JsonObject | undefined {
  if (!groupVersions().some((gv) => gv.group === group && group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

function storageVersionHash(type: ResourceType): string {
  return createHash('sha256').update(`${type.group}/${type.version}/${type.kind}`).digest('base64').slice(0, 11);
}

export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const types = resourceTypes.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const type of types) {
    const resource: JsonObject = {
      name: type.resource,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs,
    };
    if (type.shortNames.length > 0) resource['shortNames'] = type.shortNames;
    if (type.categories.length > 0) resource['categories'] = type.categories;
    if (type.verbs.includes('get')) resource['storageVersionHash'] = storageVersionHash(type);
    resources.push(resource);
    if (statusSubresourceKinds.has(type.kind)) {
      resources.push({
        name: `${type.resource}/status`,
        singularName: '',
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

function openApiPathKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** GET /openapi/v3: where each group version's document lives. */
export function openApiV3Index(): JsonObject {
  const paths: JsonObject = {};
  for (const gv of groupVersions()) {
    const key = openApiPathKey(gv.group, gv.version);
    const hash = createHash('sha256')
      .update(JSON.stringify(openApiV3Document(gv.group, gv.version)))
      .digest('hex')
      .slice(0, 16)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

const queryParameter = (name: string): JsonObject => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
});

/**
 * A minimal OpenAPI v3 document per group version. kubectl reads it to learn that the server does
 * field validation (the `fieldValidation` parameter on each PATCH); schemas are open objects
 * because the simulator stores whatever it is given.
 */
export function openApiV3Document(group: string, version: string): JsonObject | undefined {
  const types = resourceTypes.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  for (const type of types) {
    const gvk = { group, version, kind: type.kind };
    const schemaName = `${(group || 'core').split('.').reverse().join('.')}.${version}.${type.kind}`;
    schemas[schemaName] = {
      type: 'object',
      description: `${type.kind} (${apiVersionOf(type)}), served by kube-sim without a schema.`,
      'x-kubernetes-group-version-kind': [gvk],
      'x-kubernetes-preserve-unknown-fields': true,
    };
    const reference = { $ref: `#/components/schemas/${schemaName}` };
    const content = { 'application/json': { schema: reference } };
    const operation = (action: string, extra: string[] = []): JsonObject => ({
      operationId: `${action}${type.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: ['dryRun', 'fieldManager', 'fieldValidation', ...extra].map(queryParameter),
      responses: { '200': { description: 'OK', content } },
    });
    const collection = type.namespaced
      ? `${prefix}/namespaces/{namespace}/${type.resource}`
      : `${prefix}/${type.resource}`;
    if (!type.verbs.includes('get')) {
      paths[collection] = { post: operation('post') };
      continue;
    }
    paths[collection] = { get: operation('list'), post: operation('post') };
    paths[`${collection}/{name}`] = {
      get: operation('get'),
      put: operation('put'),
      patch: operation('patch', ['force']),
      delete: operation('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-kube-sim' },
    paths,
    components: { schemas },
  };
}
