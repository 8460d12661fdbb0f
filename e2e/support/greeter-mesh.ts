import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { startGreeter, xdsBootstrap, xdsGreeterClient, type GreeterServer } from './helloworld.ts';
import { tempDir, writeManifests } from './mesh-fixture.ts';
import { startTestMeshpilot, type TestMeshConfig, type TestMeshpilot } from './meshpilot-process.ts';

/** What a proxyless client's bootstrap says of it (xdsBootstrap's node). */
export interface XdsNode {
  readonly id: string;
  readonly metadata: Record<string, string>;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
}

/**
 * The fixture of the proxyless gRPC e2e tests: a temp folder (kube cluster and Istio config manifest folders
 * go in it), greeters on loopback standing for pods, VMs and gateways, meshpilot, and grpc-js-xds clients of
 * it. stop() ends everything the mesh started, the last started first, and removes the folder.
 */
export class GreeterMesh {
  readonly dir: string;
  private readonly stops: (() => unknown)[] = [];
  private xdsAddress: string | undefined;

  private constructor(dir: { path: string; remove: () => Promise<void> }) {
    this.dir = dir.path;
    this.stops.push(() => dir.remove());
  }

  static async create(prefix: string): Promise<GreeterMesh> {
    return new GreeterMesh(await tempDir(prefix));
  }

  /** Runs `stop` at stop(), before what the mesh started earlier. */
  defer(stop: () => unknown): void {
    this.stops.push(stop);
  }

  /** A greeter on `host` (on `port`, ephemeral when 0), killed at stop(). */
  async greeter(host: string, port = 0): Promise<GreeterServer> {
    const server = await startGreeter(host, port);
    this.defer(() => server.kill());
    return server;
  }

  /** Writes manifests to the folder `name` of the mesh's folder (see writeManifests); returns its path. */
  async folder(name: string, manifests: Parameters<typeof writeManifests>[1], file?: string): Promise<string> {
    return writeManifests(join(this.dir, name), manifests, file);
  }

  /** Starts meshpilot in this process with its config in the mesh's folder; the mesh's clients connect to it. */
  async start(config: TestMeshConfig): Promise<TestMeshpilot> {
    return this.serve(await startTestMeshpilot(this.dir, config));
  }

  /** A meshpilot started otherwise (e.g. on real API servers): stopped at stop(); the mesh's clients connect to it. */
  serve<T extends { readonly xdsAddress: string; stop(): Promise<void> }>(meshpilot: T): T {
    this.defer(() => meshpilot.stop());
    this.xdsAddress = meshpilot.xdsAddress;
    return meshpilot;
  }

  /** A grpc-js-xds greeter client of `target` (xds:///…) with `node`'s bootstrap, closed at stop(). */
  client(target: string, node: XdsNode): grpc.Client {
    if (this.xdsAddress === undefined) throw new Error('GreeterMesh.client: start meshpilot first');
    const client = xdsGreeterClient(target, xdsBootstrap(this.xdsAddress, node.id, node.metadata, node.locality));
    this.defer(() => client.close());
    return client;
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop();
  }
}
