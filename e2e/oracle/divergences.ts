import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { XDS_KINDS, type XdsKind } from './answer.ts';
import type { Difference } from './compare.ts';
import type { DifferenceStatus } from './diff.ts';

/**
 * A row of the README's divergence table (e2e/oracle/divergences.yaml is its source): a difference
 * between Istio's and meshpilot's answer that is allowed, with why and the config that gives Istio's
 * behaviour. `resource`, `path`, `mesh` and `probe` are globs (`*` = any characters).
 */
export interface Divergence {
  readonly id: string;
  readonly status: DifferenceStatus;
  readonly types: readonly XdsKind[];
  readonly resource: string;
  readonly path: string;
  readonly mesh: string;
  readonly probe: string;
  readonly what: string;
  readonly why: string;
  readonly istio: string;
}

const STATUSES: readonly DifferenceStatus[] = ['missing', 'extra', 'differs'];

function text(row: Record<string, unknown>, key: string, where: string, fallback?: string): string {
  const value = row[key] ?? fallback;
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error(`${where}.${key}: a non-empty string is required`);
  return value.trim().replace(/\s+/g, ' ');
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
    const status = text(row, 'status', at) as DifferenceStatus;
    if (!STATUSES.includes(status)) throw new Error(`${at}.status: one of ${STATUSES.join(', ')}`);
    const types = text(row, 'type', at)
      .split(',')
      .map((t) => t.trim()) as XdsKind[];
    for (const t of types)
      if (!XDS_KINDS.includes(t)) throw new Error(`${at}.type: ${t} is not one of ${XDS_KINDS.join(', ')}`);
    return {
      id,
      status,
      types,
      resource: text(row, 'resource', at, '*'),
      path: text(row, 'path', at, '*'),
      mesh: text(row, 'mesh', at, '*'),
      probe: text(row, 'probe', at, '*'),
      what: text(row, 'what', at),
      why: text(row, 'why', at),
      istio: text(row, 'istio', at),
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

export function matches(row: Divergence, d: Difference): boolean {
  return (
    row.status === d.status &&
    row.types.includes(d.type) &&
    glob(row.resource).test(d.resource) &&
    glob(row.path).test(d.path) &&
    glob(row.mesh).test(d.mesh) &&
    glob(row.probe).test(d.probe)
  );
}

/** The README table: one line per row, in the file's order. */
export function renderTable(rows: readonly Divergence[]): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|');
  const code = (s: string): string => (s === '*' ? 'any' : `\`${cell(s)}\``);
  const lines = [
    "| id | status | type | resource | field | what differs | why meshpilot differs | config that gives Istio's behaviour |",
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const scope = [r.mesh !== '*' ? `mesh ${code(r.mesh)}` : '', r.probe !== '*' ? `probe ${code(r.probe)}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `| ${r.id} | ${r.status} | ${r.types.join(', ')} | ${code(r.resource)}${scope ? ` (${scope})` : ''} | ${code(r.path)} | ${cell(r.what)} | ${cell(r.why)} | ${cell(r.istio)} |`,
    );
  }
  return lines.join('\n');
}
