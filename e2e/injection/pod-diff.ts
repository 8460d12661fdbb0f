/**
 * Field-by-field differences between two patched Pods. Array elements that carry a `name` (containers,
 * env, volumes, mounts, ports) are matched by name and shown as `[name]`, and a different order of the
 * names both have is its own difference (`<path>(order)`); other arrays are compared by index.
 */

export type Side = 'istio' | 'meshpilot';

export interface PodDifference {
  readonly path: string;
  /** missing: Istio has it, meshpilot not; extra: meshpilot has it, Istio not; differs: both, other values. */
  readonly status: 'missing' | 'extra' | 'differs';
  readonly istio?: unknown;
  readonly meshpilot?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const named = (list: unknown[]): boolean =>
  list.length > 0 && list.every((e) => isRecord(e) && typeof e['name'] === 'string' && e['name'] !== '');

export function podDifferences(istio: unknown, meshpilot: unknown, path = ''): PodDifference[] {
  if (istio === undefined && meshpilot === undefined) return [];
  if (istio === undefined) return [{ path, status: 'extra', meshpilot }];
  if (meshpilot === undefined) return [{ path, status: 'missing', istio }];
  if (Array.isArray(istio) && Array.isArray(meshpilot) && named(istio) && named(meshpilot)) {
    const byName = (list: unknown[]) => new Map(list.map((e) => [String((e as { name: string }).name), e]));
    const a = byName(istio);
    const b = byName(meshpilot);
    const out: PodDifference[] = [];
    const common = (from: Map<string, unknown>, other: Map<string, unknown>) =>
      [...from.keys()].filter((k) => other.has(k));
    if (common(a, b).join('\n') !== common(b, a).join('\n'))
      out.push({ path: `${path}(order)`, status: 'differs', istio: [...a.keys()], meshpilot: [...b.keys()] });
    for (const name of new Set([...a.keys(), ...b.keys()]))
      out.push(...podDifferences(a.get(name), b.get(name), `${path}[${name}]`));
    return out;
  }
  if (Array.isArray(istio) && Array.isArray(meshpilot)) {
    const out: PodDifference[] = [];
    for (let i = 0; i < Math.max(istio.length, meshpilot.length); i++)
      out.push(...podDifferences(istio[i], meshpilot[i], `${path}/${i}`));
    return out;
  }
  if (isRecord(istio) && isRecord(meshpilot)) {
    const out: PodDifference[] = [];
    for (const key of new Set([...Object.keys(istio), ...Object.keys(meshpilot)]))
      out.push(...podDifferences(istio[key], meshpilot[key], `${path}/${key}`));
    return out;
  }
  return JSON.stringify(istio) === JSON.stringify(meshpilot) ? [] : [{ path, status: 'differs', istio, meshpilot }];
}
