import type { Logger } from 'pino';
import type { KubeClusterSource } from '../registry/kube-cluster-source.ts';
import type { BackoffOptions } from './backoff.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import type { KubeClusterRegistrar } from './remote-secrets.ts';
import { RootCertConfigMaps } from './root-cert-configmaps.ts';

export interface RootCertPublisherOptions {
  readonly rootCertPem: string;
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
}

/**
 * Keeps `istio-ca-root-cert` in every member kube cluster reached through an API server: started
 * when the kube cluster joins (restarted when its kubeconfig changes), left (ConfigMaps deleted)
 * when it is removed while meshpilot runs, only stopped when meshpilot stops.
 */
export class RootCertPublisher {
  private readonly options: RootCertPublisherOptions;
  private readonly members = new Map<string, RootCertConfigMaps>();
  private readonly operations = new Map<string, Promise<void>>();

  constructor(options: RootCertPublisherOptions) {
    this.options = options;
  }

  /** A registrar that passes kube clusters on to `registrar` and keeps their ConfigMaps. */
  wrap(registrar: KubeClusterRegistrar): KubeClusterRegistrar {
    return {
      addKubeCluster: async (source) => {
        await registrar.addKubeCluster(source);
        this.joined(source);
      },
      removeKubeCluster: async (name) => {
        await registrar.removeKubeCluster(name);
        await this.left(name);
      },
    };
  }

  /** Starts keeping the ConfigMaps of `source`'s kube cluster (not awaited: the registry never waits for it). */
  joined(source: KubeClusterSource): void {
    const access = source.kubeAccess?.();
    if (access === undefined) return;
    const { kubeconfig, policy } = access;
    this.serially(source.name, async () => {
      await this.members.get(source.name)?.stop();
      this.members.delete(source.name);
      let loaded: ReturnType<typeof loadKubeConfig>;
      try {
        loaded = loadKubeConfig(kubeconfig, policy);
      } catch {
        return; // the registry reports the kubeconfig (MESHPILOT_ERR_KUBECONFIG_*)
      }
      const member = new RootCertConfigMaps({
        kubeCluster: source.name,
        kubeConfig: loaded.kubeConfig,
        credentials: loaded.credentials,
        rootCertPem: this.options.rootCertPem,
        logger: this.options.logger,
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      });
      this.members.set(source.name, member);
      await member.start();
    });
  }

  /** The kube cluster left the mesh: its ConfigMaps holding meshpilot's root are deleted. */
  left(name: string): Promise<void> {
    return this.serially(name, async () => {
      const member = this.members.get(name);
      this.members.delete(name);
      await member?.leave();
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.operations.values()]);
    await Promise.all([...this.members.values()].map((member) => member.stop()));
    this.members.clear();
  }

  /** Runs operations on one kube cluster in order. */
  private serially(name: string, operation: () => Promise<void>): Promise<void> {
    const next = (this.operations.get(name) ?? Promise.resolve()).then(operation).catch((error: unknown) => {
      this.options.logger.warn({ kubeCluster: name, error: String(error) }, 'istio-ca-root-cert: member update failed');
    });
    this.operations.set(name, next);
    void next.finally(() => {
      if (this.operations.get(name) === next) this.operations.delete(name);
    });
    return next;
  }
}
