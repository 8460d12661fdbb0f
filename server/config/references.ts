import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigErrorCode, errnoCode } from './config-error.ts';
import { errorMessage } from '../../common/error-message.ts';
import { DEFAULT_DEBOUNCE } from './schema.ts';
import type { PathIssue } from './zod-issues.ts';

// Cross-reference checks. They read the raw YAML data (not the schema output) so that they still run,
// and still report, when the schema found other mistakes: the user sees every error in one pass.
// Values of the wrong type are skipped here; the schema reports those.

type Segments = readonly PropertyKey[];
type LooseCluster = { index: number; name?: string; network?: string; kubeconfig?: string; manifests?: string };

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A path from the config file, made absolute against the config file's folder. */
export function resolveConfigPath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function looseClusters(raw: Record<string, unknown>): LooseCluster[] {
  return asArray(raw['clusters']).map((entry, index) => {
    const cluster = asRecord(entry) ?? {};
    return {
      index,
      name: asString(cluster['name']),
      network: asString(cluster['network']),
      kubeconfig: asString(cluster['kubeconfig']),
      manifests: asString(cluster['manifests']),
    };
  });
}

function clusterList(clusters: readonly LooseCluster[]): string {
  const names = [...new Set(clusters.flatMap((c) => (c.name === undefined ? [] : [`"${c.name}"`])))];
  return names.length === 0 ? 'no clusters are defined' : `expected one of the clusters: ${names.join(', ')}`;
}

function duplicateClusterIssues(clusters: readonly LooseCluster[]): PathIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: PathIssue[] = [];
  for (const cluster of clusters) {
    if (cluster.name === undefined) continue;
    const first = firstIndex.get(cluster.name);
    if (first === undefined) firstIndex.set(cluster.name, cluster.index);
    else
      issues.push({
        segments: ['clusters', cluster.index, 'name'],
        message: `duplicate cluster name "${cluster.name}": already used by clusters[${first}]; cluster names must be unique`,
        code: ConfigErrorCode.duplicateCluster,
      });
  }
  return issues;
}

function meshNetworkIssues(raw: Record<string, unknown>, clusters: readonly LooseCluster[]): PathIssue[] {
  const remoteSecrets = asRecord(raw['remoteSecrets']) !== undefined;
  const networks = asRecord(asRecord(raw['meshNetworks'])?.['networks']) ?? {};
  const claimedBy = new Map<string, { network: string; segments: Segments }>();
  const issues: PathIssue[] = [];
  for (const [network, value] of Object.entries(networks)) {
    asArray(asRecord(value)?.['endpoints']).forEach((endpoint, index) => {
      const registry = asString(asRecord(endpoint)?.['fromRegistry']);
      if (registry === undefined) return;
      const segments: Segments = ['meshNetworks', 'networks', network, 'endpoints', index, 'fromRegistry'];
      const cluster = clusters.find((c) => c.name === registry);
      // With remoteSecrets, a kube cluster may join later by remote secret under this name (as in Istio,
      // where fromRegistry names any cluster ID, however it was added).
      if (cluster === undefined && !remoteSecrets) {
        issues.push({
          segments,
          message: `unknown cluster "${registry}": ${clusterList(clusters)}`,
          code: ConfigErrorCode.unknownCluster,
        });
        return;
      }
      const earlier = claimedBy.get(registry);
      if (earlier !== undefined && earlier.network !== network) {
        issues.push({
          segments,
          message: `cluster "${registry}" is already in network "${earlier.network}"; a cluster's registry belongs to one network only`,
          code: ConfigErrorCode.clusterInTwoNetworks,
        });
        return;
      }
      claimedBy.set(registry, { network, segments });
      if (cluster?.network !== undefined && cluster.network !== network) {
        issues.push({
          segments: ['clusters', cluster.index, 'network'],
          message: `cluster "${registry}" says network "${cluster.network}" but meshNetworks puts it in network "${network}" (fromRegistry); make them agree`,
          code: ConfigErrorCode.networkMismatch,
        });
      }
    });
  }
  return issues;
}

function kubeconfigClusterList(clusters: readonly LooseCluster[]): string {
  const names = [
    ...new Set(clusters.flatMap((c) => (c.kubeconfig === undefined || c.name === undefined ? [] : [`"${c.name}"`]))),
  ];
  return names.length === 0
    ? 'no cluster has a kubeconfig'
    : `expected one of the kubeconfig clusters: ${names.join(', ')}`;
}

function clusterReferenceIssues(raw: Record<string, unknown>, clusters: readonly LooseCluster[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const remoteCluster = asString(asRecord(raw['remoteSecrets'])?.['cluster']);
  if (remoteCluster !== undefined) {
    const cluster = clusters.find((c) => c.name === remoteCluster);
    const expected = kubeconfigClusterList(clusters);
    if (cluster === undefined)
      issues.push({
        segments: ['remoteSecrets', 'cluster'],
        message: `unknown cluster "${remoteCluster}": ${expected}`,
        code: ConfigErrorCode.unknownCluster,
      });
    else if (cluster.kubeconfig === undefined)
      issues.push({
        segments: ['remoteSecrets', 'cluster'],
        message: `cluster "${remoteCluster}" has no kubeconfig, so remote secrets cannot be watched in it: ${expected}`,
        code: ConfigErrorCode.notKubeconfigCluster,
      });
  }
  const tokenReviewCluster = asString(asRecord(raw['security'])?.['tokenReviewCluster']);
  if (tokenReviewCluster !== undefined) {
    const cluster = clusters.find((c) => c.name === tokenReviewCluster);
    const expected = kubeconfigClusterList(clusters);
    if (cluster === undefined)
      issues.push({
        segments: ['security', 'tokenReviewCluster'],
        message: `unknown cluster "${tokenReviewCluster}": ${expected}`,
        code: ConfigErrorCode.unknownCluster,
      });
    else if (cluster.kubeconfig === undefined)
      issues.push({
        segments: ['security', 'tokenReviewCluster'],
        message: `cluster "${tokenReviewCluster}" has no kubeconfig, so its TokenReview API cannot be called: ${expected}`,
        code: ConfigErrorCode.notKubeconfigCluster,
      });
  }
  if (raw['webhooks'] !== undefined && raw['security'] === undefined)
    issues.push({
      segments: ['webhooks'],
      message: "the webhooks are served over HTTPS with a certificate from meshpilot's CA: add a `security:` section",
      code: ConfigErrorCode.required,
    });
  asArray(raw['config']).forEach((source, index) => {
    const name = asString(asRecord(source)?.['cluster']);
    if (name !== undefined && !clusters.some((c) => c.name === name)) {
      issues.push({
        segments: ['config', index, 'cluster'],
        message: `unknown cluster "${name}": ${clusterList(clusters)}`,
        code: ConfigErrorCode.unknownCluster,
      });
    }
  });
  return issues;
}

function debounceIssues(raw: Record<string, unknown>): PathIssue[] {
  const debounce = asRecord(raw['debounce']);
  if (debounce === undefined) return [];
  const quiet = debounce['quietMs'] ?? DEFAULT_DEBOUNCE.quietMs;
  const max = debounce['maxMs'] ?? DEFAULT_DEBOUNCE.maxMs;
  if (typeof quiet !== 'number' || typeof max !== 'number' || quiet <= max) return [];
  return [
    {
      segments: ['debounce', 'quietMs'],
      message: `quietMs (${quiet}) must not exceed maxMs (${max}): a push waits at most maxMs`,
      code: ConfigErrorCode.debounceRange,
    },
  ];
}

async function pathIssue(
  segments: Segments,
  baseDir: string,
  given: string,
  want: 'file' | 'folder',
): Promise<PathIssue[]> {
  const absolute = resolveConfigPath(baseDir, given);
  const shown = absolute === given ? `"${given}"` : `"${given}" (${absolute})`;
  const what = want === 'file' ? 'kubeconfig file' : 'manifests folder';
  try {
    const info = await stat(absolute);
    if (want === 'file' && !info.isFile())
      return [{ segments, message: `${what} ${shown} is not a file`, code: ConfigErrorCode.notAFile }];
    if (want === 'folder' && !info.isDirectory())
      return [{ segments, message: `${what} ${shown} is not a folder`, code: ConfigErrorCode.notAFolder }];
    return [];
  } catch (error: unknown) {
    const code = want === 'file' ? ConfigErrorCode.fileNotFound : ConfigErrorCode.folderNotFound;
    const reason = errnoCode(error) === 'ENOENT' ? 'does not exist' : `cannot be read: ${errorMessage(error)}`;
    return [{ segments, message: `${what} ${shown} ${reason}`, code }];
  }
}

function fileIssues(
  raw: Record<string, unknown>,
  clusters: readonly LooseCluster[],
  baseDir: string,
): Promise<PathIssue[]>[] {
  const checks = clusters.flatMap((c) => [
    ...(c.kubeconfig === undefined
      ? []
      : [pathIssue(['clusters', c.index, 'kubeconfig'], baseDir, c.kubeconfig, 'file')]),
    ...(c.manifests === undefined
      ? []
      : [pathIssue(['clusters', c.index, 'manifests'], baseDir, c.manifests, 'folder')]),
  ]);
  asArray(raw['config']).forEach((source, index) => {
    const folder = asString(asRecord(source)?.['manifests']);
    if (folder !== undefined) checks.push(pathIssue(['config', index, 'manifests'], baseDir, folder, 'folder'));
  });
  return checks;
}

/** Every cross-reference and file-system problem of a raw config, in a stable order. */
export async function checkConfigReferences(rawConfig: unknown, baseDir: string): Promise<PathIssue[]> {
  const raw = asRecord(rawConfig);
  if (raw === undefined) return [];
  const clusters = looseClusters(raw);
  const fileChecks = await Promise.all(fileIssues(raw, clusters, baseDir));
  return [
    ...duplicateClusterIssues(clusters),
    ...meshNetworkIssues(raw, clusters),
    ...clusterReferenceIssues(raw, clusters),
    ...debounceIssues(raw),
    ...fileChecks.flat(),
  ];
}
