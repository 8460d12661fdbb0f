import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeSimError, KubeSimErrorCode } from './errors.ts';
import { errorMessage } from '../common/error-message.ts';
import { findByKind, isStored } from './resources.ts';
import { isJsonObject, stringField, type KubeObject } from './types.ts';

export interface LoadedManifest {
  file: string;
  /** 0-based index of the YAML document in its file */
  document: number;
  object: KubeObject;
}

export interface SkippedManifest {
  file: string;
  document: number;
  reason: string;
}

export interface ManifestLoad {
  objects: LoadedManifest[];
  skipped: SkippedManifest[];
}

async function yamlFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error: unknown) {
    throw new KubeSimError(KubeSimErrorCode.badManifest, `cannot read manifests folder ${dir}: ${errorMessage(error)}`);
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await yamlFiles(path)));
    else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) files.push(path);
  }
  return files;
}

/**
 * Checks one manifest object: it must name apiVersion, kind and metadata.name. Kinds the simulator
 * does not serve are reported, not fatal (a folder may also hold Deployments and the like).
 */
export function checkManifestObject(value: unknown, where: string): { object: KubeObject } | { skip: string } {
  if (!isJsonObject(value))
    throw new KubeSimError(KubeSimErrorCode.badManifest, `${where}: a manifest must be a YAML mapping`);
  const apiVersion = stringField(value, 'apiVersion');
  const kind = stringField(value, 'kind');
  const metadata = value['metadata'];
  if (!apiVersion || !kind)
    throw new KubeSimError(KubeSimErrorCode.badManifest, `${where}: apiVersion and kind are required strings`);
  const type = findByKind(apiVersion, kind);
  if (!type || !isStored(type))
    return { skip: `kind ${kind} of ${apiVersion} is not served by kube-sim (${KubeSimErrorCode.unknownKind})` };
  const name = isJsonObject(metadata) ? stringField(metadata, 'name') : undefined;
  if (!isJsonObject(metadata) || !name)
    throw new KubeSimError(KubeSimErrorCode.badManifest, `${where}: metadata.name is required`);
  const object: KubeObject = { ...value, apiVersion, kind, metadata: { ...metadata, name } };
  return { object };
}

/** Every *.yaml / *.yml under `dir` (recursively, in name order), multi-document, `kind: List` flattened. */
export async function loadManifestDir(dir: string): Promise<ManifestLoad> {
  const result: ManifestLoad = { objects: [], skipped: [] };
  for (const path of await yamlFiles(dir)) {
    const file = relative(dir, path) || path;
    const documents = parseAllDocuments(await readFile(path, 'utf8'));
    const docs = Array.isArray(documents) ? documents : [documents];
    docs.forEach((doc, index) => {
      const where = `${join(dir, file)} (document ${index + 1})`;
      if (doc.errors.length > 0)
        throw new KubeSimError(
          KubeSimErrorCode.badManifest,
          `${where}: invalid YAML: ${doc.errors[0]?.message ?? 'parse error'}`,
        );
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const items =
        isJsonObject(value) && value['kind'] === 'List' && Array.isArray(value['items']) ? value['items'] : [value];
      for (const item of items) {
        const checked = checkManifestObject(item, where);
        if ('skip' in checked) result.skipped.push({ file, document: index, reason: checked.skip });
        else result.objects.push({ file, document: index, object: checked.object });
      }
    });
  }
  return result;
}
