import type { Logger } from 'pino';
import type { KubeClusterConfig } from '../config/schema.ts';
import type { ManifestFolders } from '../config/manifest-folder.ts';
import type { BackoffOptions } from '../kube/backoff.ts';
import { FileRegistry } from './file-registry.ts';
import type { KubeClusterSource } from './kube-cluster-source.ts';
import { operatorKubeconfigPolicy } from '../kube/kubeconfig.ts';
import { KubeWatcher, type RegistrySettings } from './kube-watcher.ts';

export interface SourceOptions {
  readonly logger: Logger;
  readonly fileResyncMs?: number;
  /** Manifest folders shared with the Istio config sources reading the same folders (each read once). */
  readonly manifestFolders?: ManifestFolders;
  /** config `registry:` (resync, unreachable policy) for API-server clusters. */
  readonly registry?: Partial<RegistrySettings>;
  /** Restart backoff of failed watches (tests shorten it). */
  readonly backoff?: BackoffOptions;
  /** Counts refused kubeconfigs (the metric meshpilot_kubeconfig_refused_total). */
  readonly onKubeconfigRefused?: (kubeCluster: string) => void;
}

/** The source for one configured kube cluster: a watched manifest folder, or its API server. */
export function createKubeClusterSource(cluster: KubeClusterConfig, options: SourceOptions): KubeClusterSource {
  if (cluster.manifests !== undefined) {
    return new FileRegistry({
      name: cluster.name,
      dir: cluster.manifests,
      logger: options.logger,
      ...(options.fileResyncMs !== undefined ? { resyncMs: options.fileResyncMs } : {}),
      ...(options.manifestFolders !== undefined ? { folders: options.manifestFolders } : {}),
    });
  }
  return new KubeWatcher({
    name: cluster.name,
    kubeconfig: { path: cluster.kubeconfig },
    source: 'kubeconfig',
    policy: operatorKubeconfigPolicy(cluster),
    logger: options.logger,
    ...(options.onKubeconfigRefused ? { onKubeconfigRefused: options.onKubeconfigRefused } : {}),
    ...(options.registry ? { settings: options.registry } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
}
