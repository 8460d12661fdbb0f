import type { ConfigError } from '../config/config-error.ts';
import type { FileChange, ManifestFile } from '../config/manifest-folder.ts';
import { duplicateObjectError, manifestObjectKey, type KubeObject } from '../config/manifests.ts';
import type { KubeKind } from './events.ts';
import { isKubeKind, kindKey } from './kinds.ts';

/** One copy of an object in the folder: its file, its place in that file, and its `<file>#<document>` path. */
interface Definition {
  readonly file: ManifestFile;
  readonly index: number;
  readonly object: KubeObject;
  readonly path: string;
}

/** A record of the kube cluster store: kind and key. */
export interface RecordRef {
  readonly kind: KubeKind;
  readonly key: string;
}

function compare(a: Definition, b: Definition): number {
  if (a.file.order !== b.file.order) return a.file.order < b.file.order ? -1 : 1;
  return a.index - b.index;
}

/**
 * The objects of a manifest folder, kept up to date file by file, with readManifestFolder's rules: an
 * object defined twice (same group, kind, namespace, name) keeps its first copy in folder order; when two
 * such objects make one store record (a namespace left out is "default"), the later one in folder order
 * is the record, as when a listing is built in that order.
 */
export class ManifestObjectIndex {
  private readonly files = new Map<string, ManifestFile>();
  private readonly definitions = new Map<string, Definition[]>();
  private readonly records = new Map<string, { ref: RecordRef; objectKeys: Set<string> }>();
  private readonly filesWithErrors = new Map<string, ManifestFile>();
  private readonly duplicated = new Set<string>();

  /** Applies changed files; returns the records whose object may have changed. */
  apply(changes: readonly FileChange[]): RecordRef[] {
    // Each touched object with one of its copies (old or new): its kind, namespace and name.
    const touched = new Map<string, KubeObject>();
    for (const { path, after } of changes) {
      // The file held now, not the change's `before`: a reader that took the folder's files during a
      // read gets that read's changes too, and applying one twice must change nothing.
      const held = this.files.get(path);
      if (held !== undefined) this.removeFile(held, touched);
      if (after !== undefined) {
        this.addFile(after, touched);
        this.files.set(path, after);
      } else this.files.delete(path);
    }
    const refs: RecordRef[] = [];
    for (const [objectKey, sample] of touched) {
      const definitions = this.definitions.get(objectKey);
      if (definitions !== undefined && definitions.length > 1) this.duplicated.add(objectKey);
      else this.duplicated.delete(objectKey);
      const ref = this.link(objectKey, sample, definitions !== undefined);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  /** The object the record holds now, or undefined when no object makes it. */
  objectOf(ref: RecordRef): KubeObject | undefined {
    const record = this.records.get(`${ref.kind}|${ref.key}`);
    let kept: Definition | undefined;
    for (const objectKey of record?.objectKeys ?? []) {
      const first = this.definitions.get(objectKey)?.[0];
      if (first !== undefined && (kept === undefined || compare(kept, first) < 0)) kept = first;
    }
    return kept?.object;
  }

  /** Problems of every file and every ignored copy, in folder order; paths start with `prefix`. */
  errors(prefix: string): ConfigError[] {
    const found: { order: string; index: number; error: ConfigError }[] = [];
    for (const file of this.filesWithErrors.values())
      for (const error of file.parsed.errors)
        found.push({ order: file.order, index: -1, error: { ...error, path: prefix + error.path } });
    for (const objectKey of this.duplicated) {
      const [first, ...copies] = this.definitions.get(objectKey) ?? [];
      if (first === undefined) continue;
      for (const copy of copies)
        found.push({
          order: copy.file.order,
          index: copy.index,
          error: duplicateObjectError(copy.object, prefix + copy.path, prefix + first.path),
        });
    }
    found.sort((a, b) => (a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.index - b.index));
    return found.map((entry) => entry.error);
  }

  private addFile(file: ManifestFile, touched: Map<string, KubeObject>): void {
    if (file.parsed.errors.length > 0) this.filesWithErrors.set(file.path, file);
    file.parsed.located.forEach(({ object, path }, index) => {
      const objectKey = manifestObjectKey(object);
      const definition: Definition = { file, index, object, path };
      const definitions = this.definitions.get(objectKey);
      if (definitions === undefined) this.definitions.set(objectKey, [definition]);
      else {
        const at = definitions.findIndex((other) => compare(definition, other) < 0);
        definitions.splice(at === -1 ? definitions.length : at, 0, definition);
      }
      touched.set(objectKey, object);
    });
  }

  private removeFile(file: ManifestFile, touched: Map<string, KubeObject>): void {
    this.filesWithErrors.delete(file.path);
    for (const { object } of file.parsed.located) {
      const objectKey = manifestObjectKey(object);
      const definitions = this.definitions.get(objectKey);
      if (definitions === undefined) continue;
      const left = definitions.filter((definition) => definition.file.path !== file.path);
      if (left.length === 0) this.definitions.delete(objectKey);
      else this.definitions.set(objectKey, left);
      touched.set(objectKey, object);
    }
  }

  /** Links the object to its store record (kube kinds only) while it has a copy, else unlinks it. */
  private link(objectKey: string, sample: KubeObject, present: boolean): RecordRef | undefined {
    const kind = sample.kind;
    if (!isKubeKind(kind)) return undefined;
    const ref: RecordRef = { kind, key: kindKey(kind, sample.metadata.namespace, sample.metadata.name) };
    const id = `${ref.kind}|${ref.key}`;
    const record = this.records.get(id) ?? { ref, objectKeys: new Set<string>() };
    if (present) record.objectKeys.add(objectKey);
    else record.objectKeys.delete(objectKey);
    if (record.objectKeys.size > 0) this.records.set(id, record);
    else this.records.delete(id);
    return ref;
  }
}
