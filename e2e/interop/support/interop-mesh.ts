import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestMeshpilot, type TestMeshConfig } from '../../support/meshpilot-process.ts';
import { tempDir, writeCluster, type FixtureNode, type FixtureService } from '../../support/mesh-fixture.ts';
import { xdsBootstrap } from '../../support/helloworld.ts';
import { ClientProcess } from './client-process.ts';
import { clientCommand, type ClientName, type ClientOptions } from './clients.ts';

/**
 * meshpilot on a manifest-folder kube cluster (cluster-a) plus Istio config files, for one matrix scenario; clients
 * are started as processes with a bootstrap file (GRPC_XDS_BOOTSTRAP) naming them as a pod in cluster-a.
 */
export interface InteropMeshOptions {
  readonly services: readonly FixtureService[];
  readonly nodes?: readonly FixtureNode[];
  /** Istio config YAML (a config manifest folder). */
  readonly istio?: string;
  readonly meshpilot?: Partial<TestMeshConfig>;
}

export interface StartedClient {
  readonly process: ClientProcess;
  readonly version: string;
}

export interface ClientIdentity {
  readonly ip: string;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
  /** Extra bootstrap fields (e.g. certificate_providers). */
  readonly bootstrapExtra?: Record<string, unknown>;
}

export type InteropMesh = Awaited<ReturnType<typeof startInteropMesh>>;

export async function startInteropMesh(name: string, options: InteropMeshOptions) {
  const dir = await tempDir(`interop-${name}`);
  const clusterDir = join(dir.path, 'cluster-a');
  await writeCluster(clusterDir, options.services, options.nodes);
  const istioDir = join(dir.path, 'istio');
  await mkdir(istioDir, { recursive: true });
  if (options.istio) await writeFile(join(istioDir, 'config.yaml'), options.istio);
  const meshpilot = await startTestMeshpilot(dir.path, {
    clusters: [{ name: 'cluster-a', manifests: clusterDir }],
    config: [{ manifests: istioDir }],
    ...options.meshpilot,
  });
  let clientCount = 0;
  return {
    dir: dir.path,
    meshpilot,
    /** Rewrites cluster-a's manifests (meshpilot's folder watcher picks the change up). */
    writeServices: (services: readonly FixtureService[], nodes = options.nodes) =>
      writeCluster(clusterDir, services, nodes),
    writeIstio: (yaml: string) => writeFile(join(istioDir, 'config.yaml'), yaml),
    bootstrapFile: async (nodeId: string, identity: ClientIdentity): Promise<string> => {
      const bootstrap = JSON.parse(
        xdsBootstrap(meshpilot.xdsAddress, nodeId, { CLUSTER_ID: 'cluster-a' }, identity.locality),
      ) as Record<string, unknown>;
      clientCount += 1;
      const file = join(dir.path, `bootstrap-${clientCount}.json`);
      await writeFile(file, JSON.stringify({ ...bootstrap, ...identity.bootstrapExtra }));
      return file;
    },
    async startClient(client: ClientName, options: ClientOptions, identity: ClientIdentity): Promise<StartedClient> {
      const nodeId = `sidecar~${identity.ip}~${client}-client.default~default.svc.cluster.local`;
      const file = await this.bootstrapFile(nodeId, identity);
      const started = await ClientProcess.start(client, clientCommand(client, options), { GRPC_XDS_BOOTSTRAP: file });
      return { process: started.client, version: started.version };
    },
    async stop(): Promise<void> {
      await meshpilot.stop();
      await dir.remove();
    },
  };
}
