import { isJsonObject, type Json } from './answer.ts';
import { endpointKey, localityGroupKey } from './normalise.ts';

/** missing: Istio sends it and meshpilot does not; extra: the other way round; differs: both, with other values. */
export type DifferenceStatus = 'missing' | 'extra' | 'differs';

export interface FieldDifference {
  readonly status: DifferenceStatus;
  /** Dotted path from the resource's root; arrays keyed by name, address or locality where they have one. */
  readonly path: string;
  readonly istio?: Json;
  readonly meshpilot?: Json;
}

/**
 * How an element of an array is identified: its `name`, an endpoint's address, a locality group's
 * priority and locality, an unnamed filter chain's SNI names (Envoy picks such a chain by its match,
 * never by its place in the list; the east-west gateway's chains have no names).
 */
function elementKey(field: string, element: Json, index: number): string {
  if (field === 'lb_endpoints') return endpointKey(element);
  if (field === 'endpoints' && isJsonObject(element) && 'lb_endpoints' in element) return localityGroupKey(element);
  if (isJsonObject(element) && typeof element.name === 'string' && element.name !== '') return element.name;
  const match = field === 'filter_chains' && isJsonObject(element) ? element.filter_chain_match : undefined;
  if (isJsonObject(match) && Array.isArray(match.server_names) && match.server_names.length > 0)
    return `sni ${match.server_names.map(String).sort().join(',')}`;
  return String(index);
}

function keyed(field: string, values: readonly Json[]): Map<string, Json> {
  const out = new Map<string, Json>();
  values.forEach((value, index) => {
    let key = elementKey(field, value, index);
    while (out.has(key)) key = `${key}#${index}`;
    out.set(key, value);
  });
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Every difference between two JSON values, reported at the highest path where one side lacks a subtree. */
export function diffJson(
  istio: Json | undefined,
  meshpilot: Json | undefined,
  path = '',
  field = '',
): FieldDifference[] {
  if (istio === undefined && meshpilot === undefined) return [];
  if (istio === undefined) return [{ status: 'extra', path, meshpilot }];
  if (meshpilot === undefined) return [{ status: 'missing', path, istio }];
  if (Array.isArray(istio) && Array.isArray(meshpilot)) {
    const left = keyed(field, istio);
    const right = keyed(field, meshpilot);
    const keys = [...new Set([...left.keys(), ...right.keys()])];
    const positional = keys.every((k) => /^\d+$/.test(k));
    if (positional && istio.length !== meshpilot.length && keys.length > 0) {
      return [{ status: 'differs', path, istio, meshpilot }];
    }
    return keys.flatMap((key) => diffJson(left.get(key), right.get(key), `${path}[${key}]`, field));
  }
  if (isJsonObject(istio) && isJsonObject(meshpilot)) {
    const keys = [...new Set([...Object.keys(istio), ...Object.keys(meshpilot)])].sort();
    return keys.flatMap((key) => diffJson(istio[key], meshpilot[key], join(path, key), key));
  }
  return JSON.stringify(istio) === JSON.stringify(meshpilot) ? [] : [{ status: 'differs', path, istio, meshpilot }];
}
