import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import {
  describeViolations,
  kubeconfigViolations,
  STRICT_KUBECONFIG_POLICY,
  type KubeconfigAllowance,
  type KubeconfigPolicy,
} from './kubeconfig-policy.ts';

/** Where a kubeconfig comes from: a file named in meshpilot.yaml, or the text of a remote secret. */
export type KubeconfigSource = { readonly path: string } | { readonly yaml: string };

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** Every credential the kubeconfig holds, to be masked wherever a message might repeat it. */
  readonly credentials: readonly string[];
}

/** A kubeconfig meshpilot cannot use; the message names the file and fields (never a value). */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  /** Set when the kubeconfig was refused by policy rather than unreadable. */
  readonly refused: boolean;

  constructor(message: string, refused = false) {
    super(message);
    this.refused = refused;
  }
}

/** The policy for a kubeconfig file named in meshpilot.yaml: what its `kubeconfigAllow` grants. */
export function operatorKubeconfigPolicy(cluster: {
  readonly name: string;
  readonly kubeconfigAllow?: readonly KubeconfigAllowance[] | undefined;
}): KubeconfigPolicy {
  return {
    origin: `meshpilot.yaml clusters[${cluster.name}].kubeconfig`,
    allow: new Set(cluster.kubeconfigAllow ?? []),
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** The content of a credential file a kubeconfig names (only reached when the policy allows files), or nothing. */
function fileContent(path: unknown): string[] {
  if (typeof path !== 'string' || path === '') return [];
  try {
    const text = readFileSync(path, 'utf8');
    return [text, text.trim()];
  } catch {
    return [];
  }
}

/**
 * Every credential of every user of the kubeconfig, to mask in messages: inline tokens, passwords,
 * keys and auth-provider settings, and the content of token files it names (client-node sends a
 * token file's content as is, so a trailing newline makes an error that repeats the header).
 */
export function kubeconfigCredentials(kubeConfig: KubeConfig): string[] {
  const out: string[] = [];
  for (const user of kubeConfig.getUsers()) {
    for (const value of [user.token, user.password, user.keyData])
      if (typeof value === 'string' && value !== '') out.push(value);
    const providerConfig = (user.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const value of Object.values(providerConfig)) if (typeof value === 'string' && value !== '') out.push(value);
    out.push(...fileContent(providerConfig.tokenFile));
  }
  return [...new Set(out.filter((value) => value.length >= 4))];
}

/**
 * Loads a kubeconfig that `policy` allows and that has a current context with a cluster; a
 * KubeconfigError otherwise. The check runs on the text before client-node sees it, so a refused
 * exec command never runs and a refused file is never read.
 */
export function loadKubeConfig(
  source: KubeconfigSource,
  policy: KubeconfigPolicy = STRICT_KUBECONFIG_POLICY,
): LoadedKubeConfig {
  let text: string;
  try {
    text = 'path' in source ? readFileSync(source.path, 'utf8') : source.yaml;
  } catch (error: unknown) {
    throw new KubeconfigError(firstLine(error));
  }
  const violations = kubeconfigViolations(text, policy);
  if (violations.length > 0) throw new KubeconfigError(describeViolations(violations, policy), true);
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
