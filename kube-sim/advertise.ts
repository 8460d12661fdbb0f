/**
 * `meshpilot kube-sim --advertise-address HOST`: kube-sim writes its listen address into the
 * kubeconfig, which is useless to other machines when it listens on 0.0.0.0 (a compose service).
 * This writes the kubeconfig with `https://HOST:PORT` instead. kube-sim's serving certificate names
 * its listen address and `localhost` only, so the kubeconfig asks for `tls-server-name: localhost`
 * (client-node and kubectl both honour it); the CA still authenticates the server.
 */
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeSimCommandOptions } from './command.ts';
import type { KubeSim } from './index.ts';
import { writeKubeconfigFile } from './kubeconfig.ts';

/** The name every kube-sim serving certificate carries, whatever address it listens on. */
export const KUBE_SIM_CERT_NAME = 'localhost';

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The kubeconfig YAML with every cluster's server set to https://host:port and tls-server-name localhost. */
export function advertiseKubeconfig(kubeconfigYaml: string, host: string, port: number): string {
  const document: unknown = parse(kubeconfigYaml);
  const clusters =
    typeof document === 'object' && document !== null ? (document as { clusters?: unknown }).clusters : undefined;
  if (!Array.isArray(clusters)) throw new Error('MESHPILOT_ERR_KUBECONFIG: the kubeconfig has no clusters list');
  for (const entry of clusters as { cluster?: Record<string, unknown> }[]) {
    if (entry.cluster === undefined) continue;
    entry.cluster['server'] = `https://${formatHost(host)}:${port}`;
    entry.cluster['tls-server-name'] = KUBE_SIM_CERT_NAME;
  }
  return stringify(document);
}

export interface AdvertisedKubeSimOptions extends KubeSimCommandOptions {
  readonly advertiseAddress: string;
}

/**
 * Runs kube-sim as its command does, then replaces the kubeconfig atomically with the advertised
 * one, so nobody waiting for the file ever reads the unreachable listen address.
 */
export async function runAdvertisedKubeSim(
  options: AdvertisedKubeSimOptions,
  run: (options: KubeSimCommandOptions) => Promise<KubeSim>,
): Promise<KubeSim> {
  const finalPath = resolve(options.kubeconfigOut);
  const listenPath = `${finalPath}.listen-address`;
  const { advertiseAddress, ...rest } = options;
  const sim = await run({ ...rest, kubeconfigOut: listenPath });
  const staging = `${finalPath}.tmp`;
  await writeKubeconfigFile(staging, advertiseKubeconfig(sim.kubeconfig, advertiseAddress, sim.port));
  await rename(staging, finalPath);
  await rm(listenPath, { force: true });
  return sim;
}
