import * as grpc from '@grpc/grpc-js';
import { nodeManifest, serviceManifests } from './mesh-fixture.ts';
import { startGreeter, xdsBootstrap, xdsGreeterClient, type GreeterServer } from './helloworld.ts';
import { startSimCluster, type SimCluster } from './kube-sim-clusters.ts';

/**
 * helloworld in two kube-sim clusters (zone-a, zone-b of one region, one network), each pod a
 * greeter on its own 127.x address, all on one port: the harness of the continuity scenarios.
 */
export const TARGET = 'xds:///helloworld.sample.svc.cluster.local:5000';

export interface Pod {
  readonly ip: string;
  readonly name: string;
  ready: boolean;
  terminating: boolean;
  server: GreeterServer | undefined;
}

export class ContinuityMesh {
  readonly port: number;
  readonly clusters = new Map<string, { sim: SimCluster; zone: string; pods: Pod[] }>();

  private constructor(port: number) {
    this.port = port;
  }

  static async create(dir: string, layout: Record<string, { zone: string; ips: string[] }>): Promise<ContinuityMesh> {
    const probe = await startGreeter('127.0.0.1');
    const port = probe.port;
    await probe.stop();
    const mesh = new ContinuityMesh(port);
    for (const [name, { zone, ips }] of Object.entries(layout)) {
      const pods: Pod[] = [];
      for (const [i, ip] of ips.entries())
        pods.push({
          ip,
          name: `helloworld-${name}-${i}`,
          ready: true,
          terminating: false,
          server: await startGreeter(ip, port),
        });
      const sim = await startSimCluster(dir, name, []);
      mesh.clusters.set(name, { sim, zone, pods });
      mesh.publish(name);
    }
    return mesh;
  }

  /** Writes a kube cluster's Node, Service, Pods and EndpointSlice as its pods now are. */
  publish(cluster: string): void {
    const entry = this.clusters.get(cluster)!;
    const node = `node-${cluster}`;
    const docs = [
      nodeManifest({ name: node, region: 'region-1', zone: entry.zone }),
      ...serviceManifests({
        name: 'helloworld',
        namespace: 'sample',
        port: 5000,
        targetPort: this.port,
        clusterIP: '10.96.0.10',
        // Prefer the client's zone, failing over to the other (Istio gives locality priorities without
        // a DestinationRule only with trafficDistribution PreferClose).
        trafficDistribution: 'PreferClose',
        endpoints: entry.pods.map((pod) => ({ ip: pod.ip, pod: pod.name, node, ready: pod.ready })),
      }),
    ];
    const slice = docs.find((d) => d.kind === 'EndpointSlice') as {
      endpoints: { conditions: Record<string, boolean> }[];
    };
    entry.pods.forEach(
      (pod, i) =>
        (slice.endpoints[i]!.conditions = {
          ready: pod.ready,
          serving: pod.ready || pod.terminating,
          terminating: pod.terminating,
        }),
    );
    for (const doc of docs) entry.sim.sim.apply(doc);
  }

  async addPod(cluster: string, ip: string): Promise<void> {
    const entry = this.clusters.get(cluster)!;
    entry.pods.push({
      ip,
      name: `helloworld-${cluster}-${entry.pods.length}`,
      ready: true,
      terminating: false,
      server: await startGreeter(ip, this.port),
    });
    this.publish(cluster);
  }

  /** Pods die: their processes stop at once (in-flight RPCs fail), the API server learns later. */
  async killPods(cluster: string): Promise<void> {
    for (const pod of this.clusters.get(cluster)!.pods) {
      await pod.server?.kill();
      pod.server = undefined;
    }
  }

  async stopServers(pods: readonly Pod[]): Promise<void> {
    for (const pod of pods) {
      await pod.server?.stop();
      pod.server = undefined;
    }
  }

  kubeClusters(): { name: string; kubeconfig: string }[] {
    return [...this.clusters.entries()].map(([name, { sim }]) => ({ name, kubeconfig: sim.kubeconfigPath }));
  }

  client(xdsServerUri: string, zone: string, id = 'client-0'): grpc.Client {
    const bootstrap = xdsBootstrap(
      xdsServerUri,
      `sidecar~127.0.0.9~${id}.sample~sample.svc.cluster.local`,
      { CLUSTER_ID: 'cluster-a' },
      { region: 'region-1', zone },
    );
    return xdsGreeterClient(TARGET, bootstrap);
  }

  async close(): Promise<void> {
    for (const { sim, pods } of this.clusters.values()) {
      await this.stopServers(pods);
      await sim.sim.stop();
    }
  }
}
