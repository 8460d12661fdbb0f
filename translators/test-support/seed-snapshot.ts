import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSnapshot } from '../../model/build-snapshot.ts';
import type { KubeClusterObjects } from '../../model/inputs.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { loadConfig } from '../../server/config/load.ts';
import { kubeClusterFromFolder } from '../../server/cli/offline-mesh.ts';

/** Test support: the seed mesh of examples/seed, built the way the file registry and pipeline build it. */

export const SEED_CONFIG = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'examples',
  'seed',
  'meshpilot.yaml',
);

async function kubeClusterObjects(name: string, dir: string, network: string | undefined): Promise<KubeClusterObjects> {
  const { objects, errors } = await kubeClusterFromFolder(name, dir, network);
  if (errors.length > 0) throw new Error(`seed manifests of ${name} are invalid: ${errors.join('; ')}`);
  return objects;
}

/** Loads examples/seed (config + every kube cluster's manifest folder) into a snapshot. */
export async function loadSeedSnapshot(configPath: string = SEED_CONFIG): Promise<MeshSnapshot> {
  const result = await loadConfig(configPath);
  if (!result.ok)
    throw new Error(
      `seed config ${configPath} is invalid: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  const { config } = result;
  const kubeClusters = await Promise.all(
    config.clusters.map((cluster) => {
      if (cluster.manifests === undefined)
        throw new Error(`seed kube cluster ${cluster.name} must be a manifest folder`);
      return kubeClusterObjects(cluster.name, cluster.manifests, cluster.network);
    }),
  );
  return buildSnapshot({
    domainSuffix: config.domainSuffix,
    trustDomain: config.trustDomain,
    meshNetworks: config.meshNetworks,
    kubeClusters,
  });
}

/** The seed's views: the helloworld pod's sidecar in group20, the gateway of group30, a proxyless client. */
export const SEED_VIEWS = {
  sidecarGroup20: {
    generator: 'envoy',
    proxyType: 'sidecar',
    routerMode: 'standard',
    network: 'group20',
    locality: { region: 'cn', zone: 'shanghai-20', subZone: '' },
    kubeCluster: 'cluster-a',
    namespace: 'default',
    requestedNetworkView: [],
    workloadIp: '192.192.146.69',
  },
  routerGroup30: {
    generator: 'envoy',
    proxyType: 'router',
    routerMode: 'sni-dnat',
    network: 'group30',
    locality: { region: 'cn', zone: 'shanghai-130', subZone: '' },
    kubeCluster: 'cluster-b',
    namespace: 'istio-system',
    requestedNetworkView: [],
    workloadIp: '10.64.31.211',
  },
  grpcGroup20: {
    generator: 'grpc',
    proxyType: 'sidecar',
    routerMode: 'standard',
    network: 'group20',
    locality: { region: 'cn', zone: 'shanghai-20', subZone: '' },
    kubeCluster: 'cluster-a',
    namespace: 'default',
    requestedNetworkView: [],
    workloadIp: '192.192.146.69',
  },
} as const satisfies Record<string, ProxyView>;
