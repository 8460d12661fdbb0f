import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigParams {
  /** Cluster, user and context name. */
  name: string;
  server: string;
  caCertPem: string;
  token: string;
}

/** A kubeconfig for kubectl and client-node: CA data inline, bearer-token user, one current context. */
export function renderKubeconfig(params: KubeconfigParams): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: params.name,
        cluster: {
          server: params.server,
          'certificate-authority-data': Buffer.from(params.caCertPem).toString('base64'),
        },
      },
    ],
    users: [{ name: `${params.name}-admin`, user: { token: params.token } }],
    contexts: [{ name: params.name, context: { cluster: params.name, user: `${params.name}-admin` } }],
    'current-context': params.name,
    preferences: {},
  });
}

/** Writes the kubeconfig readable by its owner only: it holds a bearer token. */
export async function writeKubeconfigFile(path: string, kubeconfig: string): Promise<void> {
  await writeFile(path, kubeconfig, { mode: 0o600 });
}
