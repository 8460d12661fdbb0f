import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { PodDifference } from './pod-diff.ts';

export const INJECTION_DIVERGENCES_FILE = join(dirname(fileURLToPath(import.meta.url)), 'divergences.yaml');
export const INJECTION_TABLE_BEGIN =
  '<!-- injection-divergences:begin (generated from e2e/injection/divergences.yaml) -->';
export const INJECTION_TABLE_END = '<!-- injection-divergences:end -->';

export interface InjectionDivergence {
  readonly id: string;
  readonly statuses: PodDifference['status'][];
  readonly cases: string[];
  readonly paths: string[];
  readonly what: string;
  readonly why: string;
  readonly istio: string;
}

const globRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
export const matchesGlob = (globs: readonly string[], value: string): boolean =>
  globs.some((glob) => globRegExp(glob).test(value));

const list = (value: unknown, field: string, id: string): string[] => {
  const values = value === undefined ? ['*'] : Array.isArray(value) ? value : [value];
  if (!values.every((v): v is string => typeof v === 'string' && v !== ''))
    throw new Error(`injection divergence ${id}: ${field} must be a string or a list of strings`);
  return values;
};

export function loadInjectionDivergences(file = INJECTION_DIVERGENCES_FILE): InjectionDivergence[] {
  const rows: unknown = parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(rows)) throw new Error(`${file}: expected a list of rows`);
  return rows.map((row: Record<string, unknown>, i) => {
    const id = typeof row['id'] === 'string' ? row['id'] : `row ${i + 1}`;
    const statuses = String(row['status'] ?? '')
      .split(',')
      .map((s) => s.trim());
    if (!statuses.every((s): s is PodDifference['status'] => ['missing', 'extra', 'differs'].includes(s)))
      throw new Error(`injection divergence ${id}: status must be missing, extra or differs`);
    for (const field of ['what', 'why', 'istio'])
      if (typeof row[field] !== 'string' || row[field] === '')
        throw new Error(`injection divergence ${id}: ${field} is required`);
    return {
      id,
      statuses,
      cases: list(row['case'], 'case', id),
      paths: list(row['path'], 'path', id),
      what: String(row['what']),
      why: String(row['why']),
      istio: String(row['istio']),
    };
  });
}

/** The row that lets a difference of a case pass, if any. */
export function rowFor(
  rows: readonly InjectionDivergence[],
  caseName: string,
  difference: PodDifference,
): InjectionDivergence | undefined {
  return rows.find(
    (r) =>
      r.statuses.includes(difference.status) && matchesGlob(r.cases, caseName) && matchesGlob(r.paths, difference.path),
  );
}

export function renderInjectionTable(rows: readonly InjectionDivergence[]): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|');
  const codes = (globs: readonly string[]): string =>
    globs.map((g) => (g === '*' ? 'any' : `\`${cell(g)}\``)).join(', ');
  return [
    "| id | status | case | field | what differs | why meshpilot differs | config that gives Istio's behaviour |",
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.id} | ${r.statuses.join(', ')} | ${codes(r.cases)} | ${codes(r.paths)} | ${cell(r.what)} | ${cell(r.why)} | ${cell(r.istio)} |`,
    ),
  ].join('\n');
}
