import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../../server/config/load.ts';
import { startRuntime, type Runtime } from '../../server/runtime.ts';

/** A kube cluster from a manifest folder or, with `kubeconfig`, from an API server (e.g. kube-sim). */
export type TestKubeCluster = { name: string; network?: string } & ({ manifests: string } | { kubeconfig: string });

export interface TestMeshConfig {
  readonly clusters: readonly TestKubeCluster[];
  readonly meshNetworks?: Record<string, unknown>;
  readonly debounce?: { quietMs: number; maxMs: number };
  readonly remoteSecrets?: { cluster: string; namespace?: string };
  readonly registry?: { resyncMs?: number; unreachablePolicy?: 'keep' | 'drop'; dropAfterMs?: number };
  readonly readiness?: { remoteClusterTimeoutMs?: number };
  /** Fixed ports (e.g. to restart on the same address); ephemeral when unset. */
  readonly xdsPort?: number;
  readonly xdsServer?: { maxConnectionAgeMs?: number; maxConnectionAgeGraceMs?: number };
  /** Istio config sources: manifest folders and/or config kube clusters (names from `clusters`). */
  readonly config?: readonly ({ manifests: string } | { cluster: string })[];
  /** How gateway hostnames are resolved (e.g. a test DNS server and a short minimum TTL). */
  readonly gatewayDns?: { servers?: string[]; minTtlMs?: number; maxTtlMs?: number; timeoutMs?: number };
  /** meshpilot's improvements over Istio's output (off by default). */
  readonly optIn?: { gatewayEjectionRemedy?: boolean; grpcOutlierDetection?: boolean };
}

export type TestMeshpilot = Runtime & { xdsAddress: string; adminUrl: string };

/** Starts meshpilot in this process on loopback ephemeral ports, from a config file written to `dir`. */
export async function startTestMeshpilot(dir: string, mesh: TestMeshConfig): Promise<TestMeshpilot> {
  const configPath = join(dir, 'meshpilot.yaml');
  await writeFile(
    configPath,
    stringify({
      clusters: mesh.clusters,
      ...(mesh.meshNetworks ? { meshNetworks: mesh.meshNetworks } : {}),
      ...(mesh.remoteSecrets ? { remoteSecrets: mesh.remoteSecrets } : {}),
      ...(mesh.registry ? { registry: mesh.registry } : {}),
      ...(mesh.readiness ? { readiness: mesh.readiness } : {}),
      ...(mesh.config ? { config: mesh.config } : {}),
      debounce: mesh.debounce ?? { quietMs: 20, maxMs: 200 },
      ...(mesh.xdsServer ? { xdsServer: mesh.xdsServer } : {}),
      ...(mesh.gatewayDns ? { gatewayDns: mesh.gatewayDns } : {}),
      ...(mesh.optIn ? { optIn: mesh.optIn } : {}),
      listen: { xds: `127.0.0.1:${mesh.xdsPort ?? 0}`, admin: '127.0.0.1:0' },
      logLevel: 'silent',
    }),
  );
  const runtime = await startRuntimeFromConfigFile(configPath);
  return Object.assign(runtime, {
    xdsAddress: `127.0.0.1:${runtime.xdsPort}`,
    adminUrl: `http://127.0.0.1:${runtime.adminPort}`,
  });
}

/** Loads a test config file (any error names its path) and starts meshpilot in this process, quiet unless MESHPILOT_TEST_LOG. */
export async function startRuntimeFromConfigFile(configPath: string): Promise<Runtime> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok)
    throw new Error(`test config invalid: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return startRuntime(loaded.config, {
    logger: pino({ level: process.env.MESHPILOT_TEST_LOG ?? 'silent' }),
    defaultMetrics: false,
    fileResyncMs: 0,
  });
}
