import type { Logger } from 'pino';
import type { IstioConfigSet } from '../../model/istio/types.ts';
import type { ManifestFolders } from '../config/manifest-folder.ts';
import type { MeshpilotConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { BackoffOptions } from '../kube/backoff.ts';
import { IstioConfigMetrics } from './config-metrics.ts';
import type { IstioConfigSource } from './config-source.ts';
import { IstioConfigStore, type ConfigzView } from './config-store.ts';
import { operatorKubeconfigPolicy } from '../kube/kubeconfig.ts';
import { KubeConfigSource } from './kube-config-source.ts';
import { ManifestConfigSource } from './manifest-config-source.ts';
import { workloadEntryMembers } from './member-clusters.ts';

export interface ConfigSourcesOptions {
  readonly config: Pick<MeshpilotConfig, 'config' | 'clusters'>;
  readonly logger: Logger;
  /** meshpilot's metrics; the config metrics are registered on its registry. */
  readonly metrics?: Metrics;
  /** Receives every new accepted set (the pipeline rebuilds the snapshot from it). */
  readonly onChange: (set: IstioConfigSet) => void;
  readonly fileResyncMs?: number;
  /** Manifest folders shared with the file registries reading the same folders (each read once). */
  readonly manifestFolders?: ManifestFolders;
  readonly backoff?: BackoffOptions;
}

/** The running Istio config sources, for the runtime and /debug/configz. */
export interface IstioConfigPlane {
  current(): IstioConfigSet;
  configz(): ConfigzView;
  stop(): Promise<void>;
}

function fileSourceOptions(options: ConfigSourcesOptions): {
  logger: Logger;
  resyncMs?: number;
  folders?: ManifestFolders;
} {
  return {
    logger: options.logger,
    ...(options.fileResyncMs !== undefined ? { resyncMs: options.fileResyncMs } : {}),
    ...(options.manifestFolders !== undefined ? { folders: options.manifestFolders } : {}),
  };
}

function createSources(options: ConfigSourcesOptions): IstioConfigSource[] {
  return [...configSources(options), ...memberSources(options)];
}

function configSources(options: ConfigSourcesOptions): IstioConfigSource[] {
  const { config, logger } = options;
  const fileOptions = fileSourceOptions(options);
  return config.config.map((source): IstioConfigSource => {
    if (source.manifests !== undefined) return new ManifestConfigSource({ dir: source.manifests, ...fileOptions });
    const kubeCluster = config.clusters.find((c) => c.name === source.cluster);
    if (kubeCluster === undefined)
      throw new Error(
        `MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER: config source cluster "${source.cluster}" is not in clusters[]`,
      );
    // A kube cluster simulated by a manifests folder holds its Istio objects in that same folder.
    if (kubeCluster.manifests !== undefined)
      return new ManifestConfigSource({ dir: kubeCluster.manifests, ...fileOptions });
    return new KubeConfigSource({
      kubeCluster: kubeCluster.name,
      kubeconfigPath: kubeCluster.kubeconfig,
      policy: operatorKubeconfigPolicy(kubeCluster),
      logger,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
  });
}

/** The WorkloadEntries of the member kube clusters (workloadEntryMembers), each belonging to its kube cluster. */
function memberSources(options: ConfigSourcesOptions): IstioConfigSource[] {
  const { logger } = options;
  const fileOptions = fileSourceOptions(options);
  return workloadEntryMembers(options.config).map((kubeCluster): IstioConfigSource => {
    if (kubeCluster.manifests !== undefined)
      return new ManifestConfigSource({
        dir: kubeCluster.manifests,
        memberKubeCluster: kubeCluster.name,
        ...fileOptions,
      });
    return new KubeConfigSource({
      kubeCluster: kubeCluster.name,
      kubeconfigPath: kubeCluster.kubeconfig,
      policy: operatorKubeconfigPolicy(kubeCluster),
      logger,
      member: true,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
  });
}

/**
 * Starts the `config:` sources of meshpilot.yaml (manifest folders and config kube clusters) and the member
 * kube clusters' WorkloadEntries, waits
 * for their first read, and hands the first accepted set to `onChange` before resolving.
 */
export async function startConfigSources(options: ConfigSourcesOptions): Promise<IstioConfigPlane> {
  const store = new IstioConfigStore({
    sources: createSources(options),
    logger: options.logger,
    ...(options.metrics !== undefined ? { metrics: new IstioConfigMetrics(options.metrics.registry) } : {}),
    onChange: options.onChange,
  });
  await store.start();
  return {
    current: () => store.current(),
    configz: () => store.configz(),
    stop: () => store.stop(),
  };
}
