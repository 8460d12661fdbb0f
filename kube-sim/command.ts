import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { startKubeSim, type KubeSim } from './index.ts';

export interface KubeSimCommandOptions {
  manifests: string;
  kubeconfigOut: string;
  port?: number;
  host?: string;
  clusterName?: string;
  logger?: Logger;
  /** Stop on SIGINT/SIGTERM (default true). Tests turn it off. */
  handleSignals?: boolean;
}

/**
 * `meshpilot kube-sim --manifests DIR --kubeconfig-out FILE [--port N]`: starts the simulator, writes
 * the kubeconfig, logs where, and keeps serving (the listener holds the process) until SIGINT/SIGTERM.
 */
export async function runKubeSimCommand(options: KubeSimCommandOptions): Promise<KubeSim> {
  const logger = options.logger ?? pino({ name: 'kube-sim' });
  const sim = await startKubeSim({
    manifestsDir: options.manifests,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
    logger,
  });
  const kubeconfigPath = resolve(options.kubeconfigOut);
  await sim.writeKubeconfig(kubeconfigPath);
  for (const skipped of sim.skippedManifests) {
    logger.warn({ file: skipped.file, document: skipped.document }, `kube-sim skipped a manifest: ${skipped.reason}`);
  }
  logger.info(
    {
      url: sim.url,
      kubeconfig: kubeconfigPath,
      manifests: resolve(options.manifests),
      resourceVersion: sim.resourceVersion(),
    },
    `kube-sim listening on ${sim.url}; kubeconfig written to ${kubeconfigPath}`,
  );
  if (options.handleSignals ?? true) {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'kube-sim stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void sim.stop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
  return sim;
}
