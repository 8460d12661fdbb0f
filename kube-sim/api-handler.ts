import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_AUDIENCE, authorize, type Identity, type TokenRegistry } from './auth.ts';
import { statusSubresourceKinds } from './discovery.ts';
import { apiErrors, successStatus } from './errors.ts';
import { asObject, mediaTypeOf, parseBody, readBody, sendJson } from './http-util.ts';
import { listObjects } from './list.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import type { ResourceRequest } from './request-info.ts';
import { apiVersionOf, findByKind, type ResourceType } from './resources.ts';
import { parseFieldSelector, parseLabelSelector, type ObjectFilter } from './selectors.ts';
import type { ObjectStore } from './store.ts';
import { tableFor, wantsTable } from './table.ts';
import { isJsonObject, stringField, type JsonObject, type JsonValue, type KubeObject } from './types.ts';
import type { WatchHub } from './watch.ts';

const NAMESPACE_TYPE = ((): ResourceType => {
  const type = findByKind('v1', 'Namespace');
  if (type === undefined) throw new Error('kube-sim serves no Namespace type');
  return type;
})();

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function optionalInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw apiErrors.badRequest(`${name}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

function filterFrom(query: URLSearchParams, type: ResourceType): ObjectFilter {
  return {
    labels: parseLabelSelector(query.get('labelSelector') ?? ''),
    fields: parseFieldSelector(query.get('fieldSelector') ?? '', type.kind),
  };
}

/** The REST verbs on one resource type: get, list, watch, create, update, patch, delete, deletecollection. */
export class ResourceApi {
  constructor(
    private readonly store: ObjectStore,
    private readonly watches: WatchHub,
    private readonly tokens: TokenRegistry,
  ) {}

  async handle(
    request: IncomingMessage,
    response: ServerResponse,
    query: URLSearchParams,
    identity: Identity,
    target: ResourceRequest,
  ): Promise<void> {
    const { type, namespace, name, subresource } = target;
    if (subresource !== undefined && !(subresource === 'status' && statusSubresourceKinds.has(type.kind)))
      throw apiErrors.pathNotFound();
    const method = request.method ?? 'GET';
    const verb = this.verbOf(method, name, query);
    if (!type.verbs.includes(verb)) throw apiErrors.methodNotAllowed(verb, type.resource);
    authorize(identity, verb, type.resource, type.group, namespace ?? (type.kind === 'Namespace' ? name : undefined));
    if (query.has('dryRun')) throw apiErrors.badRequest('dryRun is not supported by kube-sim');

    if (type.kind === 'TokenReview')
      return sendJson(response, 201, this.tokenReview(await this.readObject(request, 'TokenReview')));
    switch (verb) {
      case 'get':
        return this.get(request, response, type, namespace ?? '', name ?? '');
      case 'list':
        return this.list(request, response, query, type, namespace);
      case 'watch':
        return this.watches.serve(request, response, {
          type,
          namespace,
          filter: filterFrom(query, type),
          resourceVersion: query.get('resourceVersion') ?? undefined,
          allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
          sendInitialEvents: query.has('sendInitialEvents') ? isTrue(query.get('sendInitialEvents')) : undefined,
          timeoutSeconds: optionalInt(query, 'timeoutSeconds'),
          asTable: wantsTable(request),
        });
      case 'create':
        return sendJson(
          response,
          201,
          this.store.create(
            type,
            this.checkedBody(
              await this.readObject(request, type.kind),
              type,
              this.existingNamespace(type, namespace),
              undefined,
            ),
          ),
        );
      case 'update':
        return sendJson(
          response,
          200,
          this.update(type, namespace ?? '', name ?? '', subresource, await this.readObject(request, type.kind)),
        );
      case 'patch':
        return this.patch(request, response, type, namespace ?? '', name ?? '', subresource);
      case 'delete':
        return this.delete(request, response, type, namespace ?? '', name ?? '');
      case 'deletecollection':
        return this.deleteCollection(response, query, type, namespace);
    }
    throw apiErrors.methodNotAllowed(verb, type.resource);
  }

  /** As a real API server (NamespaceLifecycle admission): an object is created only in a namespace that exists. */
  private existingNamespace(type: ResourceType, namespace: string | undefined): string | undefined {
    if (type.namespaced && namespace !== undefined && !this.store.get(NAMESPACE_TYPE, '', namespace))
      throw apiErrors.notFound('namespaces', '', namespace);
    return namespace;
  }

  private verbOf(method: string, name: string | undefined, query: URLSearchParams): string {
    switch (method) {
      case 'GET':
        if (name !== undefined) return 'get';
        return isTrue(query.get('watch')) ? 'watch' : 'list';
      case 'POST':
        return name === undefined ? 'create' : 'post-to-object';
      case 'PUT':
        return name === undefined ? 'update-collection' : 'update';
      case 'PATCH':
        return name === undefined ? 'patch-collection' : 'patch';
      case 'DELETE':
        return name === undefined ? 'deletecollection' : 'delete';
      default:
        return method.toLowerCase();
    }
  }

  private async readObject(request: IncomingMessage, what: string): Promise<JsonObject> {
    return asObject(
      parseBody(await readBody(request), request.headers['content-type'] ?? 'application/json'),
      `the ${what} in the request body`,
    );
  }

  /** Checks apiVersion/kind/namespace/name of a body against the URL, filling what is missing. */
  private checkedBody(
    body: JsonObject,
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
  ): KubeObject {
    const apiVersion = stringField(body, 'apiVersion') ?? apiVersionOf(type);
    const kind = stringField(body, 'kind') ?? type.kind;
    if (apiVersion !== apiVersionOf(type) || kind !== type.kind) {
      throw apiErrors.badRequest(
        `the body is ${apiVersion}, Kind=${kind} but this URL serves ${apiVersionOf(type)}, Kind=${type.kind}`,
      );
    }
    const metadata = isJsonObject(body['metadata']) ? { ...body['metadata'] } : {};
    if (type.namespaced) {
      if (namespace === undefined) throw apiErrors.methodNotAllowed('create', type.resource);
      const bodyNamespace = stringField(metadata, 'namespace');
      if (bodyNamespace !== undefined && bodyNamespace !== '' && bodyNamespace !== namespace) {
        throw apiErrors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata['namespace'] = namespace;
    }
    const bodyName = stringField(metadata, 'name');
    if (name !== undefined) {
      if (bodyName !== undefined && bodyName !== name)
        throw apiErrors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
      metadata['name'] = name;
    }
    return { ...body, apiVersion, kind, metadata: { ...metadata, name: stringField(metadata, 'name') ?? '' } };
  }

  private get(
    request: IncomingMessage,
    response: ServerResponse,
    type: ResourceType,
    namespace: string,
    name: string,
  ): void {
    const object = this.store.get(type, namespace, name);
    if (!object) throw apiErrors.notFound(type.resource, type.group, name);
    sendJson(
      response,
      200,
      wantsTable(request) ? tableFor(type, [object], object.metadata['resourceVersion']) : object,
    );
  }

  private list(
    request: IncomingMessage,
    response: ServerResponse,
    query: URLSearchParams,
    type: ResourceType,
    namespace: string | undefined,
  ): void {
    const list = listObjects(this.store, {
      type,
      namespace,
      filter: filterFrom(query, type),
      limit: optionalInt(query, 'limit'),
      continueToken: query.get('continue') || undefined,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
    });
    if (!wantsTable(request)) return sendJson(response, 200, list);
    const items = Array.isArray(list['items']) ? (list['items'] as KubeObject[]) : [];
    const metadata = isJsonObject(list['metadata']) ? list['metadata'] : {};
    sendJson(response, 200, { ...tableFor(type, items, metadata['resourceVersion']), metadata });
  }

  /** Keeps what an update may not change: status on the main resource, everything else on /status. */
  private withSubresourceRules(
    type: ResourceType,
    existing: KubeObject,
    updated: KubeObject,
    subresource: string | undefined,
  ): KubeObject {
    if (subresource === 'status') {
      const result: KubeObject = {
        ...existing,
        metadata: { ...existing.metadata, resourceVersion: updated.metadata['resourceVersion'] ?? '' },
      };
      if (updated['status'] !== undefined) result['status'] = updated['status'];
      return result;
    }
    if (!statusSubresourceKinds.has(type.kind)) return updated;
    const result: KubeObject = { ...updated };
    if (existing['status'] === undefined) delete result['status'];
    else result['status'] = existing['status'];
    return result;
  }

  private update(
    type: ResourceType,
    namespace: string,
    name: string,
    subresource: string | undefined,
    body: JsonObject,
  ): KubeObject {
    const object = this.checkedBody(body, type, type.namespaced ? namespace : undefined, name);
    const existing = this.store.get(type, namespace, name);
    if (!existing) throw apiErrors.notFound(type.resource, type.group, name);
    return this.store.update(type, this.withSubresourceRules(type, existing, object, subresource));
  }

  private async patch(
    request: IncomingMessage,
    response: ServerResponse,
    type: ResourceType,
    namespace: string,
    name: string,
    subresource: string | undefined,
  ): Promise<void> {
    const mediaType = mediaTypeOf(request);
    const patchBody: JsonValue = parseBody(await readBody(request), mediaType);
    const existing = this.store.get(type, namespace, name);
    if (mediaType === 'application/apply-patch+yaml') {
      // Server-side apply, approximated: create when absent, else merge (no field ownership).
      const applied = asObject(patchBody, 'the apply configuration');
      if (!existing)
        return sendJson(
          response,
          201,
          this.store.create(
            type,
            this.checkedBody(
              applied,
              type,
              type.namespaced ? this.existingNamespace(type, namespace) : undefined,
              name,
            ),
          ),
        );
      const merged = asObject(mergePatch(existing, applied), 'the patched object');
      return sendJson(
        response,
        200,
        this.store.update(
          type,
          this.withSubresourceRules(
            type,
            existing,
            this.checkedBody(merged, type, type.namespaced ? namespace : undefined, name),
            subresource,
          ),
        ),
      );
    }
    if (!existing) throw apiErrors.notFound(type.resource, type.group, name);
    let patched: JsonValue;
    if (mediaType === 'application/merge-patch+json') patched = mergePatch(existing, patchBody);
    else if (mediaType === 'application/strategic-merge-patch+json') patched = strategicMergePatch(existing, patchBody);
    else if (mediaType === 'application/json-patch+json') patched = jsonPatch(existing, patchBody);
    else throw apiErrors.unsupportedMediaType(mediaType);
    const object = this.checkedBody(
      asObject(patched, 'the patched object'),
      type,
      type.namespaced ? namespace : undefined,
      name,
    );
    sendJson(response, 200, this.store.update(type, this.withSubresourceRules(type, existing, object, subresource)));
  }

  private async delete(
    request: IncomingMessage,
    response: ServerResponse,
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<void> {
    const text = await readBody(request);
    const options = text.trim() === '' ? {} : asObject(parseBody(text, 'application/json'), 'the DeleteOptions');
    const preconditions = isJsonObject(options['preconditions']) ? options['preconditions'] : {};
    const existing = this.store.get(type, namespace, name);
    if (!existing) throw apiErrors.notFound(type.resource, type.group, name);
    const wantedVersion = stringField(preconditions, 'resourceVersion');
    const wantedUid = stringField(preconditions, 'uid');
    if (
      (wantedVersion && wantedVersion !== existing.metadata['resourceVersion']) ||
      (wantedUid && wantedUid !== existing.metadata['uid'])
    ) {
      throw apiErrors.conflict(type.resource, type.group, name);
    }
    const deleted = this.store.delete(type, namespace, name);
    sendJson(
      response,
      200,
      successStatus({ name, group: type.group, kind: type.resource, uid: stringField(deleted.metadata, 'uid') ?? '' }),
    );
  }

  private deleteCollection(
    response: ServerResponse,
    query: URLSearchParams,
    type: ResourceType,
    namespace: string | undefined,
  ): void {
    const filter = filterFrom(query, type);
    const list = listObjects(this.store, {
      type,
      namespace,
      filter,
      limit: undefined,
      continueToken: undefined,
      resourceVersion: undefined,
      resourceVersionMatch: undefined,
    });
    const items = Array.isArray(list['items']) ? (list['items'] as KubeObject[]) : [];
    for (const item of items)
      this.store.delete(type, stringField(item.metadata, 'namespace') ?? '', item.metadata.name);
    sendJson(response, 200, {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: String(this.store.currentRevision()) },
      items,
    });
  }

  private tokenReview(body: JsonObject): JsonObject {
    const spec = isJsonObject(body['spec']) ? body['spec'] : {};
    const token = stringField(spec, 'token');
    if (!token) throw apiErrors.invalid('TokenReview', 'authentication.k8s.io', '', 'spec.token', 'Required value');
    const identity = this.tokens.identify(token);
    // As a real API server: the answer names the audiences both asked for and the token is for.
    const requested = Array.isArray(spec['audiences'])
      ? spec['audiences'].filter((a): a is string => typeof a === 'string')
      : [];
    const targets = requested.length > 0 ? requested : [API_AUDIENCE];
    const tokenAudiences = identity?.audiences ?? [API_AUDIENCE];
    const matching = targets.filter((audience) => tokenAudiences.includes(audience));
    const status: JsonObject =
      identity && matching.length > 0
        ? {
            authenticated: true,
            user: { username: identity.username, uid: identity.uid, groups: identity.groups },
            audiences: matching,
          }
        : {
            authenticated: false,
            user: {},
            error: identity
              ? `[invalid bearer token, token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(targets)}]`
              : 'invalid bearer token',
          };
    return {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    };
  }
}
