import { KubeConfig } from '@kubernetes/client-node';

/** Where a kubeconfig comes from: a file named in meshpilot.yaml, or the text of a remote secret. */
export type KubeconfigSource = { readonly path: string } | { readonly yaml: string };

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** Every credential the kubeconfig holds, to be masked wherever a message might repeat it. */
  readonly credentials: readonly string[];
}

/** A kubeconfig meshpilot cannot use; the message names the file (never its content). */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Inline credentials of every user of the kubeconfig (tokens, passwords, keys, auth-provider config). */
export function kubeconfigCredentials(kubeConfig: KubeConfig): string[] {
  const out: string[] = [];
  for (const user of kubeConfig.getUsers()) {
    for (const value of [user.token, user.password, user.keyData])
      if (typeof value === 'string' && value !== '') out.push(value);
    const providerConfig = (user.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const value of Object.values(providerConfig)) if (typeof value === 'string' && value !== '') out.push(value);
  }
  return out;
}

/** Loads a kubeconfig that has a current context with a cluster; a KubeconfigError otherwise. */
export function loadKubeConfig(source: KubeconfigSource): LoadedKubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if ('path' in source) kubeConfig.loadFromFile(source.path);
    else kubeConfig.loadFromString(source.yaml);
  } catch (error: unknown) {
    throw new KubeconfigError(firstLine(error));
  }
  if (!kubeConfig.getCurrentCluster()) throw new KubeconfigError('it has no current context with a cluster');
  return { kubeConfig, credentials: kubeconfigCredentials(kubeConfig) };
}
