import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfigText } from '../../server/config/load.ts';
import { loadOfflineMesh } from '../../server/cli/offline-mesh.ts';
import { representativeViews } from '../../server/cli/validate-output.ts';
import { encodeResource } from '../../server/cache/encoded-resource.ts';
import { PUSH_ORDER } from '../../protos/type-urls.ts';
import { translateAll } from '../../translators/index.ts';

/** One resource as envoy-validate reads it: the Any bytes meshpilot would send, and who consumes them. */
export interface ResourceRecord {
  readonly view: string;
  readonly client: 'envoy' | 'grpc';
  readonly name: string;
  /** base64 of the encoded google.protobuf.Any, as the server's cache encodes it. */
  readonly any: string;
}

export interface MeshOutput {
  readonly records: ResourceRecord[];
  readonly views: number;
  /** Istio objects rejected alone while the mesh was read, and unreadable manifests. */
  readonly errors: readonly string[];
}

/**
 * Every resource meshpilot serves the representative proxies of a mesh (the ones `validate
 * --proxy-output` checks: per kube cluster and namespace an Envoy sidecar and a proxyless gRPC client,
 * per network an east-west gateway), built from the config's manifest folders and encoded by the same
 * code the server's cache uses.
 */
export async function meshOutput(configPath: string): Promise<MeshOutput> {
  const loaded = await parseConfigText(await offlineConfigText(configPath), configPath);
  if (!loaded.ok) {
    throw new Error(`${configPath}: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  const mesh = await loadOfflineMesh(loaded.config);
  const views = representativeViews(mesh.snapshot);
  const records: ResourceRecord[] = [];
  for (const { label, view } of views) {
    for (const typeUrl of PUSH_ORDER) {
      for (const resource of translateAll(typeUrl, mesh.snapshot, view)) {
        records.push({
          view: label,
          client: view.generator === 'grpc' ? 'grpc' : 'envoy',
          name: resource.name,
          any: Buffer.from(encodeResource(resource).anyBytes).toString('base64'),
        });
      }
    }
  }
  return { records, views: views.length, errors: mesh.errors };
}

/**
 * The config text with every kube cluster read through a kubeconfig replaced by the manifest folder of
 * the same name beside the config, where there is one (examples/compose: the kube-sim API servers of
 * docker-compose serve exactly those folders), so the mesh can be built offline; the TokenReview kube
 * cluster is dropped with them.
 */
async function offlineConfigText(configPath: string): Promise<string> {
  const document = parseDocument(await readFile(configPath, 'utf8'));
  const clusters: unknown = document.toJS()?.clusters;
  if (!Array.isArray(clusters)) return document.toString();
  clusters.forEach((cluster: unknown, index) => {
    if (typeof cluster !== 'object' || cluster === null || !('kubeconfig' in cluster) || !('name' in cluster)) return;
    const folder = join(dirname(configPath), String(cluster.name));
    if (!existsSync(folder)) return;
    document.deleteIn(['clusters', index, 'kubeconfig']);
    document.setIn(['clusters', index, 'manifests'], `./${String(cluster.name)}/`);
  });
  // TokenReview needs an API server; it plays no part in what proxies are served.
  if (document.hasIn(['security', 'tokenReviewCluster'])) document.deleteIn(['security', 'tokenReviewCluster']);
  return document.toString();
}
