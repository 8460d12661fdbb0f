import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { nodeManifest, serviceManifests } from './mesh-fixture.ts';

export const HELLO_NAMESPACE = 'sample';
export const HELLO_ENVOY_CLUSTER = 'outbound|5000||helloworld.sample.svc.cluster.local';

/** helloworld (port 5000, same cluster IP everywhere, as namespace sameness expects) with one pod per IP, on node `node-<tag>`. */
export function helloworld(tag: string, ips: readonly string[]): Record<string, unknown>[] {
  return [
    nodeManifest({ name: `node-${tag}`, region: 'region-1', zone: `zone-${tag}` }),
    ...serviceManifests({
      name: 'helloworld',
      namespace: HELLO_NAMESPACE,
      port: 5000,
      clusterIP: '10.96.0.10',
      endpoints: ips.map((ip, i) => ({ ip, pod: `helloworld-${tag}-${i}`, node: `node-${tag}` })),
    }),
  ];
}

export interface SimCluster {
  readonly name: string;
  readonly sim: KubeSim;
  readonly kubeconfigPath: string;
}

/** A kube-sim named `name`, holding `objects`, with its admin kubeconfig written to `<dir>/<name>.kubeconfig`. */
export async function startSimCluster(
  dir: string,
  name: string,
  objects: readonly Record<string, unknown>[],
): Promise<SimCluster> {
  const sim = await startKubeSim({ clusterName: name, bookmarkIntervalMs: 1_000 });
  for (const object of objects) sim.apply(object);
  const kubeconfigPath = join(dir, `${name}.kubeconfig`);
  await sim.writeKubeconfig(kubeconfigPath);
  return { name, sim, kubeconfigPath };
}

/** An Istio remote secret for `cluster`, holding `kubeconfig`. */
export function remoteSecret(
  secretName: string,
  cluster: string,
  kubeconfig: string,
  namespace = 'istio-system',
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace, labels: { 'istio/multiCluster': 'true' } },
    type: 'Opaque',
    data: { [cluster]: Buffer.from(kubeconfig, 'utf8').toString('base64') },
  };
}
