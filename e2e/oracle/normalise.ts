/**
 * Normalisation applied to both answers before they are compared (the README's oracle section lists
 * these rules; each one is a difference that carries no meaning for the proxy):
 * - EDS: locality groups are sorted by (priority, locality) and their endpoints by address, since
 *   Envoy reads neither order; groups without endpoints are dropped (Envoy gives them no traffic);
 *   endpoint weights are divided by their greatest common divisor over the whole assignment, and
 *   locality weights by theirs: only ratios matter, within a locality and between localities.
 * - NDS: the NameTable is compared host by host, each host a resource of its own, its IPs as a set
 *   (sorted): the agent answers a query with all of them. For a service absent from the proxy's
 *   kube cluster Istio lists one VIP, its default address, which comes from whichever kube registry
 *   its in-process test server merged first (a Go map iteration, so it changes from run to run): one
 *   VIP on each side, both VIPs of the service, count as equal.
 */
import { isJsonObject, type Json, type JsonObject, type XdsKind } from './answer.ts';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function weightOf(value: Json | undefined): number | undefined {
  return isJsonObject(value) && typeof value.value === 'number' ? value.value : undefined;
}

function divideWeights(items: readonly JsonObject[], field: string): JsonObject[] {
  const weights = items.map((item) => weightOf(item[field])).filter((w): w is number => w !== undefined && w > 0);
  const divisor = weights.reduce((acc, w) => gcd(acc, w), 0);
  if (divisor <= 1) return [...items];
  return items.map((item) => {
    const weight = weightOf(item[field]);
    return weight === undefined ? item : { ...item, [field]: { value: weight / divisor } };
  });
}

export function endpointKey(lbEndpoint: Json): string {
  if (!isJsonObject(lbEndpoint) || !isJsonObject(lbEndpoint.endpoint)) return '?';
  const address = lbEndpoint.endpoint.address;
  const socket = isJsonObject(address) && isJsonObject(address.socket_address) ? address.socket_address : {};
  return `${String(socket.address ?? '?')}:${String(socket.port_value ?? '?')}`;
}

export function localityGroupKey(group: Json): string {
  if (!isJsonObject(group)) return '?';
  const locality = isJsonObject(group.locality) ? group.locality : {};
  const priority = typeof group.priority === 'number' ? group.priority : 0;
  return `p${priority} ${String(locality.region ?? '')}/${String(locality.zone ?? '')}/${String(locality.sub_zone ?? '')}`;
}

function normaliseAssignment(cla: JsonObject): JsonObject {
  const groups = (Array.isArray(cla.endpoints) ? cla.endpoints : [])
    .filter(isJsonObject)
    .filter((g) => Array.isArray(g.lb_endpoints) && g.lb_endpoints.length > 0);
  const allEndpoints = groups.flatMap((g) => (g.lb_endpoints as Json[]).filter(isJsonObject));
  const divided = divideWeights(allEndpoints, 'load_balancing_weight');
  const scaled = new Map(allEndpoints.map((e, i) => [e, divided[i]!]));
  const withEndpoints = groups.map((g) => ({
    ...g,
    lb_endpoints: (g.lb_endpoints as Json[])
      .filter(isJsonObject)
      .map((e) => scaled.get(e) ?? e)
      .sort((a, b) => endpointKey(a).localeCompare(endpointKey(b))),
  }));
  const endpoints = divideWeights(withEndpoints, 'load_balancing_weight').sort((a, b) =>
    localityGroupKey(a).localeCompare(localityGroupKey(b)),
  );
  const { endpoints: _dropped, ...rest } = cla;
  return endpoints.length > 0 ? { ...rest, endpoints } : rest;
}

/** One resource, normalised for comparison. */
export function normaliseResource(kind: XdsKind, resource: JsonObject): JsonObject {
  return kind === 'eds' ? normaliseAssignment(resource) : resource;
}

export const ONE_OF_THE_VIPS = '(one VIP of the service)';

/** One VIP on each side, both among the service's VIPs: the same answer (see above). */
export function sameVipChoice(
  istio: JsonObject | undefined,
  meshpilot: JsonObject | undefined,
  choices: readonly string[] | undefined,
): boolean {
  const one = (entry: JsonObject | undefined): string | undefined =>
    Array.isArray(entry?.ips) && entry.ips.length === 1 && typeof entry.ips[0] === 'string' ? entry.ips[0] : undefined;
  const [a, b] = [one(istio), one(meshpilot)];
  return a !== undefined && b !== undefined && choices !== undefined && choices.includes(a) && choices.includes(b);
}

/** The NameTable as one resource per host: `{ <host>: entry }`. */
export function nameTableEntries(table: JsonObject | null): Map<string, JsonObject> {
  const entries = new Map<string, JsonObject>();
  const hosts = table && isJsonObject(table.table) ? table.table : {};
  for (const [host, entry] of Object.entries(hosts)) {
    if (!isJsonObject(entry)) continue;
    const ips = Array.isArray(entry.ips) ? [...entry.ips].map(String).sort() : entry.ips;
    entries.set(host, ips === undefined ? entry : { ...entry, ips });
  }
  return entries;
}
