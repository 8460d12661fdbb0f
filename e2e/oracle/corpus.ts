import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ORACLE_DIR = dirname(fileURLToPath(import.meta.url));
export const CORPUS_DIR = join(ORACLE_DIR, 'corpus');
export const DIVERGENCES_FILE = join(ORACLE_DIR, 'divergences.yaml');
export const README_FILE = join(ORACLE_DIR, '..', '..', 'README.md');
export const TABLE_BEGIN = '<!-- oracle-divergences:begin (generated from e2e/oracle/divergences.yaml) -->';
export const TABLE_END = '<!-- oracle-divergences:end -->';

export interface CorpusMesh {
  readonly name: string;
  readonly config: string;
  readonly probes: string;
}

/** Every mesh of the corpus: a folder with meshpilot.yaml (and its manifest folders) and probes.json. */
export function corpusMeshes(): CorpusMesh[] {
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({
      name: entry.name,
      config: join(CORPUS_DIR, entry.name, 'meshpilot.yaml'),
      probes: join(CORPUS_DIR, entry.name, 'probes.json'),
    }))
    .filter((mesh) => existsSync(mesh.config) && existsSync(mesh.probes))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The README's divergence table, between its markers. */
export function readmeTable(readme: string): string | undefined {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(begin + TABLE_BEGIN.length, end).trim();
}
