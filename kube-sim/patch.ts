import { apiErrors } from './errors.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './types.ts';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

const orderPrefix = '$setElementOrder/';
const deletePrimitivePrefix = '$deleteFromPrimitiveList/';

function sameMergeKey(element: JsonValue, reference: JsonObject, mergeKeys: string[]): boolean {
  return (
    isJsonObject(element) && mergeKeys.every((key) => JSON.stringify(element[key]) === JSON.stringify(reference[key]))
  );
}

/**
 * Merges a list the strategic way when the patch says how (kubectl's three-way patches always send
 * `$setElementOrder/<field>` for merging lists; the merge key is the field those entries carry).
 * Without such a directive a list is replaced, as in a JSON merge patch.
 */
function mergeList(
  original: JsonValue | undefined,
  patchList: JsonValue[],
  order: JsonValue[] | undefined,
  removals: JsonValue[],
): JsonValue[] {
  const base = Array.isArray(original) ? original : [];
  const first = order?.[0] ?? patchList.find((element) => isJsonObject(element));
  if (order === undefined && !patchList.some((element) => isJsonObject(element) && element['$patch'] === 'delete')) {
    return patchList.map((element) => strategicMergePatch(undefined, element));
  }
  if (first !== undefined && !isJsonObject(first)) {
    const values = [
      ...base.filter((value) => !removals.some((removed) => JSON.stringify(removed) === JSON.stringify(value))),
    ];
    for (const value of [...patchList, ...(order ?? [])]) {
      if (!values.some((existing) => JSON.stringify(existing) === JSON.stringify(value))) values.push(value);
    }
    return sortByOrder(values, order, (value, entry) => JSON.stringify(value) === JSON.stringify(entry));
  }
  const mergeKeys = isJsonObject(first) ? Object.keys(first).filter((key) => !key.startsWith('$')) : [];
  let merged: JsonValue[] = [...base];
  for (const element of patchList) {
    if (!isJsonObject(element)) continue;
    const index = merged.findIndex((existing) => sameMergeKey(existing, element, mergeKeys));
    if (element['$patch'] === 'delete') {
      merged = merged.filter((existing) => !sameMergeKey(existing, element, mergeKeys));
      continue;
    }
    if (index >= 0) merged[index] = strategicMergePatch(merged[index], element);
    else merged.push(strategicMergePatch(undefined, element));
  }
  return sortByOrder(merged, order, (value, entry) => isJsonObject(entry) && sameMergeKey(value, entry, mergeKeys));
}

function sortByOrder(
  values: JsonValue[],
  order: JsonValue[] | undefined,
  same: (value: JsonValue, entry: JsonValue) => boolean,
): JsonValue[] {
  if (!order) return values;
  const ordered: JsonValue[] = [];
  for (const entry of order) {
    const found = values.find((value) => same(value, entry));
    if (found !== undefined) ordered.push(found);
  }
  return [...ordered, ...values.filter((value) => !ordered.includes(value))];
}

/**
 * Strategic merge patch as kubectl sends it, without the Go type registry: maps merge, `null` deletes,
 * lists merge by the key their `$setElementOrder` names, and the `$patch`, `$retainKeys`,
 * `$setElementOrder` and `$deleteFromPrimitiveList` directives are honoured and never stored.
 */
export function strategicMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  if (patch['$patch'] === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return strategicMergePatch(undefined, rest);
  }
  if (patch['$patch'] === 'delete') return null;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      const order = patch[`${orderPrefix}${key}`];
      const removals = patch[`${deletePrimitivePrefix}${key}`];
      result[key] = mergeList(
        result[key],
        value,
        Array.isArray(order) ? order : undefined,
        Array.isArray(removals) ? removals : [],
      );
    } else {
      const merged = strategicMergePatch(result[key], value);
      if (merged === null) delete result[key];
      else result[key] = merged;
    }
  }
  // A list named only by its order directive (all its changes were deletions of other elements).
  for (const [key, value] of Object.entries(patch)) {
    const field = key.startsWith(orderPrefix)
      ? key.slice(orderPrefix.length)
      : key.startsWith(deletePrimitivePrefix)
        ? key.slice(deletePrimitivePrefix.length)
        : undefined;
    if (field === undefined || !Array.isArray(value) || Object.hasOwn(patch, field)) continue;
    const order = patch[`${orderPrefix}${field}`];
    const removals = patch[`${deletePrimitivePrefix}${field}`];
    const merged = mergeList(
      result[field],
      [],
      Array.isArray(order) ? order : [],
      Array.isArray(removals) ? removals : [],
    );
    result[field] = merged;
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

type JsonPatchOperation = { op: string; path: string; value?: JsonValue; from?: string };

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw apiErrors.badRequest(`json patch: path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function containerAt(document: JsonValue, segments: string[], path: string): JsonValue {
  let current: JsonValue = document;
  for (const segment of segments) {
    const next: JsonValue | undefined = Array.isArray(current)
      ? current[Number(segment)]
      : isJsonObject(current)
        ? current[segment]
        : undefined;
    if (next === undefined) throw apiErrors.badRequest(`json patch: path "${path}" does not exist`);
    current = next;
  }
  return current;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(document: JsonValue, operations: JsonValue): JsonValue {
  if (!Array.isArray(operations)) throw apiErrors.badRequest('json patch: the body must be a JSON array of operations');
  let result = structuredClone(document);
  for (const raw of operations) {
    if (!isJsonObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw apiErrors.badRequest('json patch: every operation needs string "op" and "path"');
    }
    const operation: JsonPatchOperation = {
      op: raw['op'],
      path: raw['path'],
      value: raw['value'],
      from: typeof raw['from'] === 'string' ? raw['from'] : undefined,
    };
    result = applyOperation(result, operation);
  }
  return result;
}

function applyOperation(document: JsonValue, operation: JsonPatchOperation): JsonValue {
  const segments = parsePointer(operation.path);
  const parentPath = segments.slice(0, -1);
  const last = segments[segments.length - 1];
  const readValue = (): JsonValue => {
    if (operation.op === 'move' || operation.op === 'copy')
      return structuredClone(containerAt(document, parsePointer(operation.from ?? ''), operation.from ?? ''));
    if (operation.value === undefined)
      throw apiErrors.badRequest(`json patch: "${operation.op}" at "${operation.path}" needs a value`);
    return operation.value;
  };
  switch (operation.op) {
    case 'test':
      if (JSON.stringify(containerAt(document, segments, operation.path)) !== JSON.stringify(readValue())) {
        throw apiErrors.invalid('Patch', '', '', operation.path, 'test operation failed');
      }
      return document;
    case 'move': {
      const value = readValue();
      const removed = applyOperation(document, { op: 'remove', path: operation.from ?? '' });
      return applyOperation(removed, { op: 'add', path: operation.path, value });
    }
    case 'add':
    case 'replace':
    case 'copy':
    case 'remove': {
      if (last === undefined) return operation.op === 'remove' ? null : readValue();
      const parent = containerAt(document, parentPath, operation.path);
      if (Array.isArray(parent)) {
        const index = last === '-' ? parent.length : Number(last);
        if (!Number.isInteger(index) || index < 0 || index > parent.length)
          throw apiErrors.badRequest(`json patch: bad array index in "${operation.path}"`);
        if (operation.op === 'remove') parent.splice(index, 1);
        else if (operation.op === 'replace') parent[index] = readValue();
        else parent.splice(index, 0, readValue());
      } else if (isJsonObject(parent)) {
        if ((operation.op === 'remove' || operation.op === 'replace') && !Object.hasOwn(parent, last)) {
          throw apiErrors.badRequest(`json patch: path "${operation.path}" does not exist`);
        }
        if (operation.op === 'remove') delete parent[last];
        else parent[last] = readValue();
      } else {
        throw apiErrors.badRequest(`json patch: "${operation.path}" is not inside an object or array`);
      }
      return document;
    }
    default:
      throw apiErrors.badRequest(`json patch: unknown op "${operation.op}"`);
  }
}
