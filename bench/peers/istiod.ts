import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../e2e/support/real-kube-cluster.ts';
import { REPO_ROOT } from '../child-process.ts';
import { nowMs, sleep } from '../clock.ts';
import { stopChild, type ServerProcess } from '../meshpilot-server.ts';
import { buildHarness, SYSTEM_NAMESPACE, type KubeMesh } from './kube-mesh.ts';

/**
 * istiod itself (pilot-discovery built from istio.io/istio at the pinned version by interop/istiod) as
 * the bench's second peer: a primary for the first kube cluster of a KubeMesh, the others added as
 * remote clusters through Istio's own remote secrets (label istio/multiCluster=true in istio-system),
 * the same meshNetworks as meshpilot's. It serves plaintext ADS on a loopback port, where the fleet
 * connects as sidecars (their node metadata name the kube cluster, network and locality).
 *
 * Flags and environment are istiod's defaults except: loopback ephemeral ports; no sidecar injector
 * templates (not needed); PILOT_MAX_REQUESTS_PER_SECOND raised from 25 so that a fleet's streams are
 * not admitted at 25 per second (the full push would measure the admission limit, not the push).
 */

export const ISTIOD_NAME = 'istiod';

export interface IstiodProcess extends ServerProcess {
  /** istio.io/istio's module version and the Go version it was built with. */
  readonly version: string;
  /** http://127.0.0.1:port of istiod's HTTP (readiness and debug) server. */
  readonly httpUrl: string;
  /** http://127.0.0.1:port of istiod's monitoring server (/metrics). */
  readonly metricsUrl: string;
}

/** The built pilot-discovery: `bash interop/istiod/build.sh` (a hash check when it is already built). */
export function istiodBinary(): string {
  buildHarness('istiod');
  const binary = join(REPO_ROOT, '.cache', 'harness', 'istiod', 'pilot-discovery');
  if (!existsSync(binary)) throw new Error(`MESHPILOT_BENCH_ERR_PEER: interop/istiod/build.sh left no ${binary}`);
  return binary;
}

/** "istio.io/istio v0.0.0-… (go1.x)" from the binary's build information. */
function versionOf(binary: string): string {
  const info = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  const istio = /\b(?:mod|dep)\s+istio\.io\/istio\s+(\S+)/.exec(info.stdout)?.[1];
  const go = /:\s*(go\S+)/.exec(info.stdout)?.[1];
  return `istiod (pilot-discovery) istio.io/istio ${istio ?? 'unknown'}${go ? `, ${go}` : ''}`;
}

/** Istio's remote secret for kube cluster `name`: its kubeconfig under the cluster's name, labelled for istiod. */
function remoteSecret(name: string, kubeconfig: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `istio-remote-secret-${name}`,
      namespace: SYSTEM_NAMESPACE,
      labels: { 'istio/multiCluster': 'true' },
      annotations: { 'networking.istio.io/cluster': name },
    },
    stringData: { [name]: kubeconfig },
  };
}

interface ClusterzEntry {
  readonly id?: string;
  readonly syncStatus?: string;
}

/** Starts istiod on `kube` and waits until it is ready and has synced every kube cluster. */
export async function startIstiod(kube: KubeMesh, dir: string, timeoutMs: number): Promise<IstiodProcess> {
  const binary = istiodBinary();
  await mkdir(dir, { recursive: true });
  const [primary, ...remotes] = kube.clusters;
  if (!primary) throw new Error('MESHPILOT_BENCH_ERR_PEER: istiod needs at least one kube cluster');
  for (const remote of remotes) {
    const answer = await primary.request(
      'POST',
      `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets`,
      remoteSecret(remote.name, remote.kubeconfig),
    );
    // 409: an earlier istiod of this run created it already.
    if (answer.status !== 201 && answer.status !== 409)
      throw new Error(`remote secret for ${remote.name}: ${answer.status} ${answer.body.slice(0, 300)}`);
  }
  const kubeconfig = join(dir, 'primary.kubeconfig');
  const meshConfig = join(dir, 'mesh.yaml');
  const networks = join(dir, 'meshNetworks.yaml');
  await writeFile(kubeconfig, primary.kubeconfig, { mode: 0o600 });
  await writeFile(meshConfig, stringify({ trustDomain: 'cluster.local' }));
  await writeFile(networks, stringify(kube.meshNetworks()));
  const free = (): Promise<number> => freePort('127.0.0.1');
  const [http, grpc, secureGrpc, https, monitoring, ctrlz] = await Promise.all([
    free(),
    free(),
    free(),
    free(),
    free(),
    free(),
  ]);
  const child = spawn(
    binary,
    [
      'discovery',
      '--kubeconfig',
      kubeconfig,
      '--meshConfig',
      meshConfig,
      '--networksConfig',
      networks,
      '--httpAddr',
      `127.0.0.1:${http}`,
      '--grpcAddr',
      `127.0.0.1:${grpc}`,
      '--secureGRPCAddr',
      `127.0.0.1:${secureGrpc}`,
      '--httpsAddr',
      `127.0.0.1:${https}`,
      '--monitoringAddr',
      `127.0.0.1:${monitoring}`,
      '--ctrlz_port',
      String(ctrlz),
      '--ctrlz_address',
      '127.0.0.1',
      '--domain',
      'cluster.local',
      '--log_output_level',
      'default:warn',
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        POD_NAME: 'istiod-bench',
        POD_NAMESPACE: SYSTEM_NAMESPACE,
        CLUSTER_ID: primary.name,
        REVISION: 'default',
        PILOT_MAX_REQUESTS_PER_SECOND: '100000',
      },
    },
  );
  const tail: string[] = [];
  const remember = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line.trim() !== '') {
        tail.push(line.slice(0, 400));
        if (tail.length > 30) tail.shift();
      }
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  const httpUrl = `http://127.0.0.1:${http}`;
  const stop = (): Promise<void> => stopChild(child, 5_000);
  const deadline = nowMs() + timeoutMs;
  let lastState = 'not answering';
  try {
    for (let attempt = 0; attempt < 10_000 && nowMs() < deadline; attempt += 1) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`istiod exited (code ${String(child.exitCode)}): ${tail.join(' | ')}`);
      try {
        const ready = await fetch(`${httpUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
        if (ready.ok) {
          const clusters = (await (
            await fetch(`${httpUrl}/debug/clusterz`, { signal: AbortSignal.timeout(2_000) })
          ).json()) as ClusterzEntry[];
          const synced = clusters.filter((c) => c.syncStatus === 'synced').length;
          lastState = `ready, ${synced}/${kube.clusters.length} clusters synced`;
          if (synced >= kube.clusters.length) {
            return {
              name: ISTIOD_NAME,
              pid: child.pid!,
              xdsPort: grpc,
              httpUrl,
              metricsUrl: `http://127.0.0.1:${monitoring}`,
              version: versionOf(binary),
              tail: () => [...tail],
              stop,
            };
          }
        } else lastState = `/ready answered ${ready.status}`;
      } catch {
        // not listening yet
      }
      await sleep(500);
    }
    throw new Error(`istiod not ready within ${timeoutMs} ms (${lastState}): ${tail.join(' | ')}`);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
