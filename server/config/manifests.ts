import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ManifestErrorCode, describeValue, errnoCode, type ConfigError } from './config-error.ts';
import { errorMessage } from '../../common/error-message.ts';

/** A Kubernetes object as read from a manifest: only the identifying fields are checked. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

export type ManifestReadResult = { objects: KubeObject[]; errors: ConfigError[] };

/**
 * `errorPrefix` names the folder in error paths; the folder's own name by default (`cluster-a/pods.yaml#2`).
 * `cache` (kept by a caller that re-reads the folder, like the file registry) skips parsing files whose text did not change.
 */
export type ManifestReadOptions = { errorPrefix?: string; cache?: ManifestParseCache };

/** Parsed files by path, with the text they were parsed from. */
export type ManifestParseCache = Map<string, { readonly text: string; readonly parsed: LocatedObjects }>;

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
const MAX_FOLDER_DEPTH = 32;
const MAX_LIST_NESTING = 8;

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function requireString(object: Json, key: string, field: string, problems: string[]): void {
  const value = object[key];
  if (value === undefined) problems.push(`${field}: required (expected a non-empty string)`);
  else if (typeof value !== 'string' || value === '')
    problems.push(`${field}: expected a non-empty string, got ${describeValue(value)}`);
}

function checkStringMap(metadata: Json, key: 'labels' | 'annotations', field: string, problems: string[]): void {
  const value = metadata[key];
  if (value === undefined || value === null) return;
  const map = asRecord(value);
  if (map === undefined) {
    problems.push(`${field}.${key}: expected a mapping of strings, got ${describeValue(value)}`);
    return;
  }
  for (const [name, entry] of Object.entries(map)) {
    if (typeof entry !== 'string')
      problems.push(
        `${field}.${key}.${name}: expected a string (quote numbers and booleans), got ${describeValue(entry)}`,
      );
  }
}

/** Problems that keep `value` from being a KubeObject, each as `<field>: <what is wrong>`. */
function kubeObjectProblems(value: unknown, prefix: string): string[] {
  const object = asRecord(value);
  if (object === undefined)
    return [
      `${prefix === '' ? '(document)' : prefix.slice(0, -1)}: expected a mapping (a Kubernetes object), got ${describeValue(value)}`,
    ];
  const problems: string[] = [];
  requireString(object, 'apiVersion', `${prefix}apiVersion`, problems);
  requireString(object, 'kind', `${prefix}kind`, problems);
  const metadata = asRecord(object['metadata']);
  if (metadata === undefined) {
    const got =
      object['metadata'] === undefined
        ? 'required (expected a mapping with name)'
        : `expected a mapping, got ${describeValue(object['metadata'])}`;
    problems.push(`${prefix}metadata: ${got}`);
    return problems;
  }
  requireString(metadata, 'name', `${prefix}metadata.name`, problems);
  if (metadata['namespace'] !== undefined)
    requireString(metadata, 'namespace', `${prefix}metadata.namespace`, problems);
  checkStringMap(metadata, 'labels', `${prefix}metadata`, problems);
  checkStringMap(metadata, 'annotations', `${prefix}metadata`, problems);
  return problems;
}

function isList(object: Json): boolean {
  const kind = object['kind'];
  return typeof kind === 'string' && kind.endsWith('List') && Array.isArray(object['items']);
}

/** Flattens `kind: List` (and `PodList`-style lists, whose items may omit apiVersion and kind). */
function collectObjects(
  value: unknown,
  prefix: string,
  depth: number,
  out: { objects: KubeObject[]; problems: string[] },
): void {
  const object = asRecord(value);
  if (object !== undefined && isList(object) && depth < MAX_LIST_NESTING) {
    const listKind = String(object['kind']);
    const itemKind = listKind === 'List' ? undefined : listKind.slice(0, -'List'.length);
    (object['items'] as unknown[]).forEach((item, index) => {
      const itemObject = asRecord(item);
      const filled =
        itemObject !== undefined && itemKind !== undefined
          ? { apiVersion: object['apiVersion'], kind: itemKind, ...itemObject }
          : item;
      collectObjects(filled, `${prefix}items[${index}].`, depth + 1, out);
    });
    return;
  }
  const problems = kubeObjectProblems(value, prefix);
  if (problems.length > 0) out.problems.push(...problems);
  else out.objects.push(value as KubeObject);
}

/**
 * Parses one manifest file's text (multi-document YAML or JSON). `source` names the file in errors,
 * which read `<source>#<document index, 0-based>`. Empty documents are skipped. Pure.
 */
export function parseManifestText(text: string, source: string): ManifestReadResult {
  const parsed = parseLocated(text, source);
  return { objects: parsed.located.map((entry) => entry.object), errors: parsed.errors };
}

export type LocatedObjects = { located: { object: KubeObject; path: string }[]; errors: ConfigError[] };

/** Like parseManifestText, with the `<source>#<index>` each object came from. Pure. */
export function parseLocated(text: string, source: string): LocatedObjects {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const result: LocatedObjects = { located: [], errors: [] };
  documents.forEach((doc, index) => {
    const path = `${source}#${index}`;
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        result.errors.push({
          path,
          message: `YAML syntax error at line ${line}, column ${col}: ${error.message.split('\n')[0] ?? ''} (${error.code})`,
          code: ManifestErrorCode.yaml,
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error: unknown) {
      result.errors.push({
        path,
        message: `cannot read the YAML: ${errorMessage(error)}`,
        code: ManifestErrorCode.yaml,
      });
      return;
    }
    if (value === null || value === undefined) return;
    const collected = { objects: [] as KubeObject[], problems: [] as string[] };
    collectObjects(value, '', 0, collected);
    for (const object of collected.objects) result.located.push({ object, path });
    for (const problem of collected.problems)
      result.errors.push({ path, message: problem, code: ManifestErrorCode.invalidObject });
  });
  return result;
}

/** Manifest files under `dir` (recursively), sorted by path; dot-files and dot-folders are skipped. Throws if `dir` cannot be read. */
export function manifestFilesOf(dir: string): Promise<string[]> {
  return listManifestFiles(dir, 0, new Set());
}

/** Manifest files under `dir`, sorted by path; dot-files and dot-folders (editor and ConfigMap `..data` copies) are skipped. */
async function listManifestFiles(dir: string, depth: number, seen: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real) || depth > MAX_FOLDER_DEPTH) return [];
  seen.add(real);
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDirectory =
      entry.isDirectory() ||
      (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory() === true);
    if (isDirectory) files.push(...(await listManifestFiles(path, depth + 1, seen)));
    else if (isManifestFileName(entry.name)) files.push(path);
  }
  return files;
}

/** Whether a file of this name is read as a manifest (by extension; dot-files never are). */
export function isManifestFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** What makes two manifest objects the same object: group, kind, namespace, name. */
export function manifestObjectKey(object: KubeObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
  return `${group}|${object.kind}|${object.metadata.namespace ?? ''}|${object.metadata.name}`;
}

/** The error for the copy at `path` of an object first defined at `first` (the copy is ignored). */
export function duplicateObjectError(object: KubeObject, path: string, first: string): ConfigError {
  return {
    path,
    message: `${describeManifestObject(object)} is defined twice (first in ${first}); this copy is ignored`,
    code: ManifestErrorCode.duplicateObject,
  };
}

function describeManifestObject(object: KubeObject): string {
  const namespace = object.metadata.namespace === undefined ? '' : `${object.metadata.namespace}/`;
  return `${object.kind} ${namespace}${object.metadata.name}`;
}

/**
 * Reads every *.yaml, *.yml and *.json file under `dir` (recursively, sorted), flattening Lists. Errors
 * name `<folder name>/<file>#<document index>`; a bad document is reported and skipped, the rest kept.
 * An object defined twice (same group, kind, namespace, name) is reported and its later copy dropped.
 * No side effects besides reading files.
 */
export async function readManifestFolder(dir: string, options: ManifestReadOptions = {}): Promise<ManifestReadResult> {
  let files: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory())
      return {
        objects: [],
        errors: [{ path: dir, message: `manifests folder "${dir}" is not a folder`, code: ManifestErrorCode.folder }],
      };
    files = await listManifestFiles(dir, 0, new Set());
  } catch (error: unknown) {
    const reason = errnoCode(error) === 'ENOENT' ? 'does not exist' : `cannot be read: ${errorMessage(error)}`;
    return {
      objects: [],
      errors: [{ path: dir, message: `manifests folder "${dir}" ${reason}`, code: ManifestErrorCode.folder }],
    };
  }
  if (options.cache) {
    const present = new Set(files);
    for (const cachedFile of [...options.cache.keys()]) if (!present.has(cachedFile)) options.cache.delete(cachedFile);
  }
  const folderName = options.errorPrefix ?? basename(dir);
  const result: ManifestReadResult = { objects: [], errors: [] };
  const firstSeen = new Map<string, string>();
  for (const file of files) {
    const relativeName = relative(dir, file).split(sep).join('/');
    const source = folderName === '' ? relativeName : `${folderName}/${relativeName}`;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error: unknown) {
      result.errors.push({
        path: source,
        message: `cannot read the file: ${errorMessage(error)}`,
        code: ManifestErrorCode.read,
      });
      continue;
    }
    const cached = options.cache?.get(file);
    const parsed = cached !== undefined && cached.text === text ? cached.parsed : parseLocated(text, source);
    options.cache?.set(file, { text, parsed });
    result.errors.push(...parsed.errors);
    for (const { object, path } of parsed.located) {
      const key = manifestObjectKey(object);
      const first = firstSeen.get(key);
      if (first === undefined) {
        firstSeen.set(key, path);
        result.objects.push(object);
      } else {
        result.errors.push(duplicateObjectError(object, path, first));
      }
    }
  }
  return result;
}
