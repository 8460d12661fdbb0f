import type { Logger } from 'pino';
import type { KubeClusterConfig } from '../config/schema.ts';
import { FileRegistry } from './file-registry.ts';
import { KubeClusterStore } from './kube-cluster-store.ts';
import type { KubeClusterHealth, KubeClusterSource } from './kube-cluster-source.ts';

export interface SourceOptions {
  readonly logger: Logger;
  readonly fileResyncMs?: number;
}

/** The source for one configured kube cluster: a watched manifest folder, or its API server. */
export function createKubeClusterSource(cluster: KubeClusterConfig, options: SourceOptions): KubeClusterSource {
  if (cluster.manifests !== undefined) {
    return new FileRegistry({
      name: cluster.name,
      dir: cluster.manifests,
      logger: options.logger,
      ...(options.fileResyncMs !== undefined ? { resyncMs: options.fileResyncMs } : {}),
    });
  }
  return new UnsupportedSource(cluster.name, options.logger);
}

/** Placeholder until API-server watching lands: reports the cluster unreachable, serves nothing. */
class UnsupportedSource implements KubeClusterSource {
  readonly name: string;
  readonly store: KubeClusterStore;
  private readonly since = new Date().toISOString();
  private readonly logger: Logger;

  constructor(name: string, logger: Logger) {
    this.name = name;
    this.store = new KubeClusterStore(name);
    this.logger = logger;
  }

  async start(): Promise<void> {
    this.logger.error({ kubeCluster: this.name, code: 'MESHPILOT_ERR_KUBECONFIG_UNSUPPORTED' }, 'kubeconfig kube clusters are not supported yet by this build');
  }

  async stop(): Promise<void> {}

  health(): KubeClusterHealth {
    return { name: this.name, source: 'kubeconfig', state: 'unreachable', unreachableSince: this.since, lastError: 'kubeconfig kube clusters are not supported yet by this build', objects: {} };
  }
}
