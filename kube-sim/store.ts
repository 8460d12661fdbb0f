import { randomUUID } from 'node:crypto';
import { defaultService, keepAllocatedServiceFields, serviceClusterIp } from './defaults.ts';
import { apiErrors } from './errors.ts';
import { findByKind, typeKey, type ResourceType } from './resources.ts';
import { cloneJson, isJsonObject, metadataOf, stringField, type JsonObject, type KubeObject } from './types.ts';

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: number;
  typeKey: string;
  namespace: string;
  /** Snapshot; never mutated after the event is made. */
  object: KubeObject;
  /** The object before a MODIFIED event, so a selector watch can tell "started/stopped matching". */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

export interface StoreOptions {
  /** How many events are kept for watches that resume from a resourceVersion. */
  historyLimit: number;
  now?: () => Date;
}

export interface ListedObject {
  key: string;
  object: KubeObject;
}

const namespaceType = findByKind('v1', 'Namespace');

/** "2024-05-01T10:00:00Z": RFC 3339 in seconds, as Kubernetes writes metav1.Time. */
export function kubeTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function objectKey(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

/** Everything but metadata and status: a change there bumps metadata.generation. */
function specPart(object: KubeObject): string {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return JSON.stringify(rest);
}

function withoutVolatileMeta(object: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
}

/**
 * The simulator's etcd: objects per resource type, one global revision stamped on every write
 * (resourceVersion), and a bounded event history that watches replay from.
 */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  /** Every event with a resourceVersion above this is still in `history`. */
  private oldestWatchable = 0;
  private readonly listeners = new Set<StoreListener>();
  private readonly historyLimit: number;
  private readonly now: () => Date;

  constructor(options: StoreOptions) {
    this.historyLimit = Math.max(1, options.historyLimit);
    this.now = options.now ?? (() => new Date());
  }

  currentRevision(): number {
    return this.revision;
  }

  oldestWatchableRevision(): number {
    return this.oldestWatchable;
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(typeKey(type))?.get(objectKey(namespace, name));
    return found ? cloneJson(found) : undefined;
  }

  /** Objects of a type (in one namespace, or all when namespace is undefined), sorted by key like etcd. */
  list(type: ResourceType, namespace: string | undefined): ListedObject[] {
    const byKey = this.objects.get(typeKey(type));
    if (!byKey) return [];
    const listed: ListedObject[] = [];
    for (const [key, object] of byKey) {
      if (namespace !== undefined && (metadataOf(object)['namespace'] ?? '') !== namespace) continue;
      listed.push({ key, object });
    }
    return listed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  create(type: ResourceType, input: KubeObject): KubeObject {
    const namespace = this.namespaceFor(type, input);
    const name = this.nameFor(type, input, namespace);
    const byKey = this.typeMap(type);
    const key = objectKey(namespace, name);
    if (byKey.has(key)) throw apiErrors.alreadyExists(type.resource, type.group, name);
    if (type.namespaced) this.ensureNamespace(namespace);
    const object = cloneJson(input);
    const metadata: JsonObject = { ...object.metadata, name };
    if (type.namespaced) metadata['namespace'] = namespace;
    else delete metadata['namespace'];
    delete metadata['generateName'];
    metadata['uid'] = randomUUID();
    metadata['creationTimestamp'] = kubeTime(this.now());
    metadata['generation'] = 1;
    delete metadata['deletionTimestamp'];
    if (type.kind === 'Namespace' && !isJsonObject(object['status'])) object['status'] = { phase: 'Active' };
    let stored: KubeObject = { ...object, metadata: { ...metadata, name } };
    if (type.kind === 'Service' && type.group === '') stored = defaultService(stored, this.usedClusterIps(type));
    return this.write(type, key, stored, 'ADDED');
  }

  /** Replaces an object; `input.metadata.resourceVersion`, when set, must be the current one (else 409). */
  update(type: ResourceType, input: KubeObject): KubeObject {
    const namespace = this.namespaceFor(type, input);
    const name = input.metadata.name;
    const key = objectKey(namespace, name);
    const existing = this.typeMap(type).get(key);
    if (!existing) throw apiErrors.notFound(type.resource, type.group, name);
    const precondition = stringField(input.metadata, 'resourceVersion');
    if (precondition !== undefined && precondition !== '' && precondition !== existing.metadata['resourceVersion']) {
      throw apiErrors.conflict(type.resource, type.group, name);
    }
    const object = cloneJson(input);
    const generation = typeof existing.metadata['generation'] === 'number' ? existing.metadata['generation'] : 1;
    const metadata: JsonObject = {
      ...object.metadata,
      name,
      uid: existing.metadata['uid'] ?? randomUUID(),
      creationTimestamp: existing.metadata['creationTimestamp'] ?? kubeTime(this.now()),
      generation: specPart(object) === specPart(existing) ? generation : generation + 1,
      resourceVersion: existing.metadata['resourceVersion'] ?? '',
    };
    if (type.namespaced) metadata['namespace'] = namespace;
    else delete metadata['namespace'];
    let stored: KubeObject = { ...object, metadata: { ...metadata, name } };
    if (type.kind === 'Service' && type.group === '')
      stored = defaultService(keepAllocatedServiceFields(stored, existing), this.usedClusterIps(type));
    // A write that changes nothing is a no-op, as in the real API server: no new resourceVersion, no event.
    if (withoutVolatileMeta(stored) === withoutVolatileMeta(existing)) return cloneJson(existing);
    return this.write(type, key, stored, 'MODIFIED', existing);
  }

  delete(type: ResourceType, namespace: string, name: string): KubeObject {
    const key = objectKey(type.namespaced ? namespace : '', name);
    const byKey = this.typeMap(type);
    const existing = byKey.get(key);
    if (!existing) throw apiErrors.notFound(type.resource, type.group, name);
    if (type.kind === 'Namespace') this.deleteNamespaceContents(name);
    byKey.delete(key);
    this.revision += 1;
    const deleted: KubeObject = {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: String(this.revision) },
    };
    this.emit({
      type: 'DELETED',
      resourceVersion: this.revision,
      typeKey: typeKey(type),
      namespace: type.namespaced ? namespace : '',
      object: deleted,
    });
    return cloneJson(deleted);
  }

  /** Events after `resourceVersion`, or 'expired' when some of them fell out of the history window. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion < this.oldestWatchable) return 'expired';
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** Drops the whole history, as an etcd compaction: every older resourceVersion becomes too old. */
  compact(): void {
    this.history.length = 0;
    this.oldestWatchable = this.revision;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private write(
    type: ResourceType,
    key: string,
    object: KubeObject,
    eventType: 'ADDED' | 'MODIFIED',
    previous?: KubeObject,
  ): KubeObject {
    this.revision += 1;
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.revision) } };
    this.typeMap(type).set(key, stored);
    const namespace = type.namespaced ? (stringField(stored.metadata, 'namespace') ?? '') : '';
    const event: StoreEvent = {
      type: eventType,
      resourceVersion: this.revision,
      typeKey: typeKey(type),
      namespace,
      object: stored,
    };
    if (previous) event.previous = previous;
    this.emit(event);
    return cloneJson(stored);
  }

  private usedClusterIps(type: ResourceType): Set<string> {
    const used = new Set<string>(['10.96.0.1']);
    for (const object of this.typeMap(type).values()) {
      const ip = serviceClusterIp(object);
      if (ip) used.add(ip);
    }
    return used;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.oldestWatchable = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  private typeMap(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let byKey = this.objects.get(key);
    if (!byKey) {
      byKey = new Map();
      this.objects.set(key, byKey);
    }
    return byKey;
  }

  private namespaceFor(type: ResourceType, input: KubeObject): string {
    if (!type.namespaced) return '';
    return stringField(input.metadata, 'namespace') || 'default';
  }

  private nameFor(type: ResourceType, input: KubeObject, namespace: string): string {
    const name = input.metadata.name;
    if (typeof name === 'string' && name !== '') return name;
    const prefix = stringField(input.metadata, 'generateName');
    if (prefix) {
      for (let attempt = 0; attempt < 16; attempt += 1) {
        const candidate = `${prefix}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
        if (!this.typeMap(type).has(objectKey(namespace, candidate))) return candidate;
      }
    }
    throw apiErrors.invalid(
      type.kind,
      type.group,
      '',
      'metadata.name',
      'Required value: name or generateName is required',
    );
  }

  /** Namespaces spring into existence when first used, so callers never need to create them. */
  ensureNamespace(namespace: string): void {
    if (!namespaceType || this.typeMap(namespaceType).has(namespace)) return;
    this.create(namespaceType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const [key, byKey] of this.objects) {
      for (const object of [...byKey.values()]) {
        if (metadataOf(object)['namespace'] !== namespace) continue;
        byKey.delete(objectKey(namespace, object.metadata.name));
        this.revision += 1;
        const deleted: KubeObject = {
          ...object,
          metadata: { ...object.metadata, resourceVersion: String(this.revision) },
        };
        this.emit({ type: 'DELETED', resourceVersion: this.revision, typeKey: key, namespace, object: deleted });
      }
    }
  }
}
