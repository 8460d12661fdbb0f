import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { KubeClusterHealth } from '../../server/registry/kube-cluster-source.ts';
import type { Runtime } from '../../server/runtime.ts';
import { tempDir } from './mesh-fixture.ts';
import { startRuntimeFromConfigFile } from './meshpilot-process.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from './real-kube-cluster.ts';
import { runProcess } from './run-process.ts';
import type { SecureMeshpilot } from './secure-mesh.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RealMeshConfig {
  readonly clusters: readonly { name: string; kubeconfig: string }[];
  readonly remoteSecrets?: { cluster: string; namespace?: string };
  readonly config?: readonly ({ cluster: string } | { manifests: string })[];
  readonly tokenReviewCluster?: string;
  readonly resyncMs?: number;
  readonly remoteClusterTimeoutMs?: number;
  /** meshpilot.yaml `webhooks:` (listen defaults to 127.0.0.1:0 here). */
  readonly webhooks?: Record<string, unknown>;
  /** meshpilot.yaml `karmada:`. */
  readonly karmada?: Record<string, unknown>;
}

export type RealMeshpilot = SecureMeshpilot & Runtime;

/** meshpilot in this process on loopback ephemeral ports (plain and TLS xDS, admin), watching real API servers. */
export async function startRealMeshpilot(dir: string, mesh: RealMeshConfig): Promise<RealMeshpilot> {
  const configPath = join(dir, 'meshpilot.yaml');
  await writeFile(
    configPath,
    stringify({
      clusters: mesh.clusters,
      ...(mesh.remoteSecrets ? { remoteSecrets: mesh.remoteSecrets } : {}),
      ...(mesh.karmada ? { karmada: mesh.karmada } : {}),
      ...(mesh.config ? { config: mesh.config } : {}),
      registry: { resyncMs: mesh.resyncMs ?? 60_000 },
      ...(mesh.remoteClusterTimeoutMs !== undefined
        ? { readiness: { remoteClusterTimeoutMs: mesh.remoteClusterTimeoutMs } }
        : {}),
      debounce: { quietMs: 20, maxMs: 200 },
      listen: { xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0', admin: '127.0.0.1:0' },
      security: {
        caDir: join(dir, 'mesh-ca'),
        servingDnsNames: ['localhost'],
        servingIps: ['127.0.0.1'],
        ...(mesh.tokenReviewCluster ? { tokenReviewCluster: mesh.tokenReviewCluster } : {}),
      },
      ...(mesh.webhooks ? { webhooks: { listen: '127.0.0.1:0', ...mesh.webhooks } } : {}),
      logLevel: 'silent',
    }),
  );
  const runtime = await startRuntimeFromConfigFile(configPath);
  if (runtime.security === undefined || runtime.xdsTlsPort === undefined) {
    await runtime.stop();
    throw new Error('meshpilot started without its security plane');
  }
  return Object.assign(runtime, {
    xdsAddress: `127.0.0.1:${runtime.xdsPort}`,
    xdsTlsAddress: `127.0.0.1:${runtime.xdsTlsPort}`,
    adminUrl: `http://127.0.0.1:${runtime.adminPort}`,
    rootCertPem: runtime.security.ca.rootCertPem(),
  });
}

export interface WebhookMember {
  readonly dir: string;
  readonly member: RealKubeCluster;
  readonly meshpilot: RealMeshpilot;
  /** Stops meshpilot and the member, and removes the folder. */
  stop(): Promise<void>;
}

/**
 * The webhook tests' setup, in a temp folder: a real kube-apiserver `member` with Istio's CRDs, and meshpilot
 * watching it with its webhooks on (discovery address meshpilot.example.com:15012).
 */
export async function startWebhookMember(prefix: string): Promise<WebhookMember> {
  const dir = await tempDir(prefix);
  const stops: (() => Promise<void>)[] = [() => dir.remove()];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    const [member] = (await startRealKubeClusters(dir.path, [{ name: 'member' }])) as [RealKubeCluster];
    stops.push(() => member.stop());
    await member.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds]);
    await member.waitForCrdsEstablished();
    const meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [{ name: 'member', kubeconfig: member.kubeconfigPath }],
      webhooks: { discoveryAddress: 'meshpilot.example.com:15012' },
    });
    stops.push(() => meshpilot.stop());
    // A node at kubelet 1.32: native sidecars (webhooks.nativeSidecars auto, as istiod) stay off for unscheduled pods.
    await registerNode(member, meshpilot, 'kubelet-1-32', 'v1.32.4');
    return { dir: dir.path, member, meshpilot, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/**
 * A Node with the kubelet version (as a kubelet registers itself, status included), once meshpilot's watch
 * of the member cluster holds it.
 */
export async function registerNode(
  member: RealKubeCluster,
  meshpilot: RealMeshpilot,
  name: string,
  kubeletVersion: string,
): Promise<void> {
  await member.call('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { nodeInfo: { kubeletVersion } },
  });
  const stored = (await member.call('GET', `/api/v1/nodes/${name}`)) as {
    status?: { nodeInfo?: { kubeletVersion?: string } };
  };
  if (stored.status?.nodeInfo?.kubeletVersion !== kubeletVersion)
    throw new Error(`${member.name}: node ${name} was stored without its kubelet version`);
  await until(
    async () =>
      meshpilot.pipeline.kubeNodes(member.name)?.get(name)?.kubeletVersion === kubeletVersion ? true : undefined,
    `meshpilot's watch of ${member.name} holding node ${name}`,
  );
}

/**
 * The namespaces the webhook tests create Pods in, one per injection case Istio's namespace selectors cover:
 * `injected` (istio-injection=enabled), `revision` (istio.io/rev=default) and `plain` (no label), each with the
 * ServiceAccount `app` the Pods run as.
 */
export async function applyInjectionNamespaces(member: RealKubeCluster): Promise<void> {
  const namespaces: Record<string, Record<string, string>> = {
    injected: { 'istio-injection': 'enabled' },
    revision: { 'istio.io/rev': 'default' },
    plain: {},
  };
  for (const [name, labels] of Object.entries(namespaces))
    await member.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: name } },
    ]);
}

export async function clusterz(adminUrl: string): Promise<KubeClusterHealth[]> {
  return (await (await fetch(`${adminUrl}/debug/clusterz`)).json()) as KubeClusterHealth[];
}

/** Polls `probe` every 100 ms until it returns a value (at most `timeoutMs`). */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 100_000; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface RemoteSecretRun {
  readonly code: number;
  /** The Secret YAML (stdout). */
  readonly secret: string;
  readonly stderr: string;
}

/** Runs the real `meshpilot create-remote-secret` command (bin/meshpilot-ts.js: the sources, no build) with `args`. */
export async function createRemoteSecretCli(args: readonly string[]): Promise<RemoteSecretRun> {
  const run = await runProcess(process.execPath, [
    join(repoRoot, 'bin', 'meshpilot-ts.js'),
    'create-remote-secret',
    ...args,
  ]);
  return { code: run.code, secret: run.stdout, stderr: run.stderr };
}

/** The kubeconfig a remote Secret carries under its kube cluster's key. */
export function kubeconfigOfSecret(secretYaml: string, kubeCluster: string): string {
  const secret = parse(secretYaml) as { data?: Record<string, string> };
  const encoded = secret.data?.[kubeCluster];
  if (encoded === undefined) throw new Error(`the remote secret has no key ${kubeCluster}`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}
