import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../server/config/load.ts';
import { loadOfflineMesh } from '../../server/cli/offline-mesh.ts';
import { parseProxyNode } from '../../server/generators/proxy-identity.ts';
import type { NodeMessage } from '../../server/xds/wire.ts';
import { encodeMessage, decodeMessage } from '../../protos/any.ts';
import { lookupMessage } from '../../protos/load.ts';
import { fromProto3Json, toProto3Json } from '../../protos/proto3-json.ts';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  NAME_TABLE_TYPE,
  ROUTE_TYPE,
  type XdsTypeUrl,
} from '../../protos/type-urls.ts';
import { translateAll } from '../../translators/index.ts';
import { scopedSnapshot } from '../../server/generators/view-scope.ts';
import { explainOptIns, type OptInEffect } from '../../translators/opt-in-explain.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import {
  isJsonObject,
  type Json,
  resourceName,
  type JsonObject,
  type MeshAnswer,
  type Probe,
  type ProbeAnswer,
  type XdsKind,
} from './answer.ts';

const NODE_TYPE = 'type.googleapis.com/envoy.config.core.v3.Node';
const TYPE_URLS: Readonly<Record<XdsKind, XdsTypeUrl>> = {
  cds: CLUSTER_TYPE,
  eds: ENDPOINT_TYPE,
  lds: LISTENER_TYPE,
  rds: ROUTE_TYPE,
  nds: NAME_TABLE_TYPE,
};

export async function readProbes(path: string): Promise<Probe[]> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${path}: probes must be a JSON array`);
  return parsed as Probe[];
}

/**
 * The node as meshpilot's ADS server reads it off the wire: the probe's JSON encoded as an Envoy
 * Node and decoded with the server's options, so the suite never builds a proxy view by hand.
 */
function wireNode(probe: Probe): NodeMessage {
  const bytes = encodeMessage(NODE_TYPE, fromProto3Json(NODE_TYPE, probe.node));
  const type = lookupMessage('envoy.config.core.v3.Node');
  return type.toObject(type.decode(bytes), {
    enums: String,
    longs: Number,
    defaults: false,
    arrays: true,
  }) as NodeMessage;
}

/** Every resource of one type for one view, as proto3 JSON: encoded as sent, decoded back. */
function resourcesAsJson(kind: XdsKind, snapshot: MeshSnapshot, view: ProxyView): JsonObject[] {
  const typeUrl = TYPE_URLS[kind];
  return translateAll(typeUrl, snapshot, view)
    .map((resource) => toProto3Json(typeUrl, decodeMessage(typeUrl, encodeMessage(typeUrl, resource.object))))
    .filter(isJsonObject)
    .sort((a, b) => resourceName(kind, a).localeCompare(resourceName(kind, b)));
}

/** Every string value under `key` anywhere in a JSON tree. */
function valuesOf(json: Json, key: string, out = new Set<string>()): Set<string> {
  if (Array.isArray(json)) for (const item of json) valuesOf(item, key, out);
  else if (isJsonObject(json)) {
    for (const [k, v] of Object.entries(json)) {
      if (k === key && typeof v === 'string') out.add(v);
      else valuesOf(v, key, out);
    }
  }
  return out;
}

/** The EDS names a proxy asks for: its EDS clusters' service names. */
function edsNames(clusters: readonly JsonObject[]): Set<string> {
  const names = new Set<string>();
  for (const cluster of clusters) {
    if (cluster.type !== 'EDS') continue;
    const config = isJsonObject(cluster.eds_cluster_config) ? cluster.eds_cluster_config : {};
    names.add(typeof config.service_name === 'string' ? config.service_name : resourceName('cds', cluster));
  }
  return names;
}

/** The clusters routes send to (route.cluster and weighted clusters' names). */
function routedClusters(routes: readonly JsonObject[]): Set<string> {
  const names = valuesOf(routes as Json, 'cluster');
  for (const weighted of valuesOfObjects(routes as Json, 'weighted_clusters')) {
    for (const c of Array.isArray(weighted.clusters) ? weighted.clusters : [])
      if (isJsonObject(c) && typeof c.name === 'string') names.add(c.name);
  }
  return names;
}

function valuesOfObjects(json: Json, key: string, out: JsonObject[] = []): JsonObject[] {
  if (Array.isArray(json)) for (const item of json) valuesOfObjects(item, key, out);
  else if (isJsonObject(json)) {
    for (const [k, v] of Object.entries(json)) {
      if (k === key && isJsonObject(v)) out.push(v);
      valuesOfObjects(v, key, out);
    }
  }
  return out;
}

const byNames = (kind: XdsKind, resources: JsonObject[], names: Set<string>): JsonObject[] =>
  resources.filter((r) => names.has(resourceName(kind, r)));

/**
 * What one probe receives, asking as the oracle's probes ask (ORACLE-CONTRACT): Envoy CDS (all) →
 * EDS of its EDS clusters → LDS (all) → RDS named by its listeners → NDS; proxyless gRPC LDS (all)
 * → RDS named by its listeners → CDS named by its routes → EDS of those; no NDS.
 */
function probeAnswer(snapshot: MeshSnapshot, probe: Probe): ProbeAnswer {
  const parsed = parseProxyNode(wireNode(probe), snapshot);
  if (!parsed.ok) throw new Error(`probe ${probe.name}: ${parsed.error}`);
  const view = parsed.proxy.view;
  // The snapshot the view's resources come from, as the server's cache picks it (Sidecar scope, exportTo).
  const scoped = scopedSnapshot(snapshot, view);
  const all = (kind: XdsKind): JsonObject[] => resourcesAsJson(kind, scoped, view);
  const lds = all('lds');
  const rds = byNames('rds', all('rds'), valuesOf(lds as Json, 'route_config_name'));
  if (view.generator === 'grpc') {
    const cds = byNames('cds', all('cds'), routedClusters(rds));
    return { cds, eds: byNames('eds', all('eds'), edsNames(cds)), lds, rds, nds: null, errors: [] };
  }
  const cds = all('cds');
  return { cds, eds: byNames('eds', all('eds'), edsNames(cds)), lds, rds, nds: all('nds')[0] ?? null, errors: [] };
}

/** What meshpilot sends each probe proxy for a mesh read from files, in the oracle's answer shape. */
export async function meshpilotAnswer(configPath: string, probes: readonly Probe[]): Promise<MeshAnswer> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) throw new Error(`${configPath}: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  // A mesh naming DNS servers for its gateway hostnames is answered with them resolved, as serve would.
  const mesh = await loadOfflineMesh(loaded.config, {
    resolveGatewayHostnames: loaded.config.gatewayDns.servers.length > 0,
  });
  if (mesh.errors.length > 0) throw new Error(`${configPath}: ${mesh.errors.join('; ')}`);
  const out: Record<string, ProbeAnswer> = {};
  const vipChoices: Record<string, Record<string, string[]>> = {};
  for (const probe of probes) {
    out[probe.name] = probeAnswer(mesh.snapshot, probe);
    const kubeCluster = probe.node.metadata.CLUSTER_ID;
    vipChoices[probe.name] = Object.fromEntries(
      [...mesh.snapshot.services.values()]
        .filter((s) => typeof kubeCluster !== 'string' || s.vips[kubeCluster] === undefined)
        .map((s) => [s.hostname, Object.values(s.vips)]),
    );
  }
  return { probes: out, vipChoices };
}

/** What `explain` says about opt-ins for one probe and the service of an outbound cluster `outbound|<port>|<subset>|<fqdn>`. */
export async function meshpilotOptIns(configPath: string, probe: Probe, cluster: string): Promise<OptInEffect[]> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) throw new Error(`${configPath}: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  const mesh = await loadOfflineMesh(loaded.config);
  const parsed = parseProxyNode(wireNode(probe), mesh.snapshot);
  if (!parsed.ok) throw new Error(`probe ${probe.name}: ${parsed.error}`);
  return explainOptIns(mesh.snapshot, parsed.proxy.view, cluster.split('|')[3] ?? '');
}
