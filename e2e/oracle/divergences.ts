import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { XDS_KINDS, type XdsKind } from './answer.ts';
import type { Difference } from './compare.ts';
import type { DifferenceStatus } from './diff.ts';

/**
 * A row of the README's divergence table (e2e/oracle/divergences.yaml is its source): differences
 * between Istio's and meshpilot's answer that are allowed, for one reason, with why and the config
 * that gives Istio's behaviour. `resources`, `paths`, `meshes` and `probes` are globs (`*` = any
 * characters; a difference matches when one glob of each list matches); `paths` name exact fields,
 * and every one of them must still match a difference (oracle.test.ts), so a row cannot excuse
 * more than the fields it lists.
 */
export interface Divergence {
  readonly id: string;
  readonly statuses: readonly DifferenceStatus[];
  readonly types: readonly XdsKind[];
  readonly resources: readonly string[];
  readonly paths: readonly string[];
  readonly meshes: readonly string[];
  readonly probes: readonly string[];
  readonly what: string;
  readonly why: string;
  readonly istio: string;
  /**
   * The meshpilot.yaml opt-in (`optIn.<key>`) whose improvement over Istio this row is: off by default,
   * and `explain` must name it for every proxy whose clusters it changes (oracle.test.ts).
   */
  readonly optIn?: string;
}

const STATUSES: readonly DifferenceStatus[] = ['missing', 'extra', 'differs'];
const ROW_KEYS = ['id', 'status', 'type', 'resource', 'path', 'mesh', 'probe', 'what', 'why', 'istio', 'optIn'];

function text(row: Record<string, unknown>, key: string, where: string, fallback?: string): string {
  const value = row[key] ?? fallback;
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error(`${where}.${key}: a non-empty string is required`);
  return value.trim().replace(/\s+/g, ' ');
}

/** A glob, or a list of globs (YAML sequence), of a row; `*` when absent. */
function globs(row: Record<string, unknown>, key: string, where: string): string[] {
  const value = row[key];
  if (value === undefined) return ['*'];
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new Error(`${where}.${key}: at least one glob is required`);
  return items.map((item: unknown, i) => {
    if (typeof item !== 'string' || item.trim() === '')
      throw new Error(`${where}.${key}${Array.isArray(value) ? `[${i}]` : ''}: a non-empty string is required`);
    return item.trim();
  });
}

function list<T extends string>(row: Record<string, unknown>, key: string, where: string, allowed: readonly T[]): T[] {
  const items = text(row, key, where)
    .split(',')
    .map((t) => t.trim());
  for (const t of items)
    if (!allowed.includes(t as T)) throw new Error(`${where}.${key}: ${t} is not one of ${allowed.join(', ')}`);
  return items as T[];
}

function optInKey(key: string, where: string): string {
  if (!/^optIn\.[A-Za-z]+$/.test(key))
    throw new Error(`${where}.optIn: a meshpilot.yaml key like optIn.gatewayEjectionRemedy`);
  return key;
}

export function parseDivergences(source: string, where = 'divergences.yaml'): Divergence[] {
  const rows: unknown = parse(source);
  if (!Array.isArray(rows)) throw new Error(`${where}: a list of rows is required`);
  const ids = new Set<string>();
  return rows.map((raw: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new Error(`${at}: a mapping is required`);
    const row = raw as Record<string, unknown>;
    const id = text(row, 'id', at);
    if (ids.has(id)) throw new Error(`${at}.id: ${id} is used twice`);
    ids.add(id);
    for (const key of Object.keys(row))
      if (!ROW_KEYS.includes(key)) throw new Error(`${at}.${key}: not a row field (${ROW_KEYS.join(', ')})`);
    return {
      id,
      statuses: list(row, 'status', at, STATUSES),
      types: list(row, 'type', at, XDS_KINDS),
      resources: globs(row, 'resource', at),
      paths: globs(row, 'path', at),
      meshes: globs(row, 'mesh', at),
      probes: globs(row, 'probe', at),
      what: text(row, 'what', at),
      why: text(row, 'why', at),
      istio: text(row, 'istio', at),
      ...(row.optIn !== undefined ? { optIn: optInKey(text(row, 'optIn', at), at) } : {}),
    };
  });
}

export function loadDivergences(path: string): Divergence[] {
  return parseDivergences(readFileSync(path, 'utf8'), path);
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    globCache.set(pattern, re);
  }
  return re;
}

const any = (patterns: readonly string[], value: string): boolean => patterns.some((p) => glob(p).test(value));

/** Whether a row allows a difference; with `path`, only through that one of its path globs. */
export function matches(row: Divergence, d: Difference, path?: string): boolean {
  return (
    row.statuses.includes(d.status) &&
    row.types.includes(d.type) &&
    any(row.resources, d.resource) &&
    any(path === undefined ? row.paths : [path], d.path) &&
    any(row.meshes, d.mesh) &&
    any(row.probes, d.probe)
  );
}

/** `<row id> <path glob>` for every path glob of a row that allows none of the differences (stale). */
export function stalePaths(rows: readonly Divergence[], differences: readonly Difference[]): string[] {
  return rows.flatMap((row) =>
    row.paths.filter((path) => !differences.some((d) => matches(row, d, path))).map((path) => `${row.id} ${path}`),
  );
}

/** The README table: one line per row, in the file's order. */
export function renderTable(rows: readonly Divergence[]): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|');
  const code = (s: string): string => (s === '*' ? 'any' : `\`${cell(s)}\``);
  const codes = (globs: readonly string[]): string => globs.map(code).join(', ');
  const lines = [
    "| id | status | type | resource | field | what differs | why meshpilot differs | config that gives Istio's behaviour |",
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const scope = [
      r.meshes.join() !== '*' ? `mesh ${codes(r.meshes)}` : '',
      r.probes.join() !== '*' ? `probe ${codes(r.probes)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `| ${r.id} | ${r.statuses.join(', ')} | ${r.types.join(', ')} | ${codes(r.resources)}${scope ? ` (${scope})` : ''} | ${codes(r.paths)} | ${cell(r.what)} | ${cell(r.why)} | ${r.optIn ? `opt-in \`${r.optIn}\`, off by default: ` : ''}${cell(r.istio)} |`,
    );
  }
  return lines.join('\n');
}
