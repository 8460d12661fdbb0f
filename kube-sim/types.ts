/** JSON values as they travel over the Kubernetes REST API. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export interface ObjectMeta extends JsonObject {
  name: string;
}

/** A stored Kubernetes object: always has apiVersion, kind and metadata.name. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

/** metadata as a JsonObject (empty when absent or not an object). */
export function metadataOf(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  return isJsonObject(metadata) ? metadata : {};
}

export function labelsOf(object: JsonObject): Record<string, string> {
  const labels = metadataOf(object)['labels'];
  const result: Record<string, string> = {};
  if (!isJsonObject(labels)) return result;
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}

export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
