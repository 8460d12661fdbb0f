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
import type { MeshSnapshot } from '../../model/types.ts';
import {
  isJsonObject,
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
function resourcesAsJson(kind: XdsKind, snapshot: MeshSnapshot, probe: Probe): JsonObject[] {
  const parsed = parseProxyNode(wireNode(probe), snapshot);
  if (!parsed.ok) throw new Error(`probe ${probe.name}: ${parsed.error}`);
  const typeUrl = TYPE_URLS[kind];
  return translateAll(typeUrl, snapshot, parsed.proxy.view)
    .map((resource) => toProto3Json(typeUrl, decodeMessage(typeUrl, encodeMessage(typeUrl, resource.object))))
    .filter(isJsonObject)
    .sort((a, b) => resourceName(kind, a).localeCompare(resourceName(kind, b)));
}

/** What meshpilot sends each probe proxy for a mesh read from files, in the oracle's answer shape. */
export async function meshpilotAnswer(configPath: string, probes: readonly Probe[]): Promise<MeshAnswer> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) throw new Error(`${configPath}: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  const mesh = await loadOfflineMesh(loaded.config);
  if (mesh.errors.length > 0) throw new Error(`${configPath}: ${mesh.errors.join('; ')}`);
  const out: Record<string, ProbeAnswer> = {};
  for (const probe of probes) {
    const nds = resourcesAsJson('nds', mesh.snapshot, probe);
    out[probe.name] = {
      cds: resourcesAsJson('cds', mesh.snapshot, probe),
      eds: resourcesAsJson('eds', mesh.snapshot, probe),
      lds: resourcesAsJson('lds', mesh.snapshot, probe),
      rds: resourcesAsJson('rds', mesh.snapshot, probe),
      nds: nds[0] ?? null,
      errors: [],
    };
  }
  return { probes: out };
}
