/**
 * `meshpilot create-remote-secret`, like `istioctl create-remote-secret`: a Secret (label
 * istio/multiCluster=true, annotation networking.istio.io/cluster=<name>) whose data key <name> is a
 * kubeconfig for a member kube cluster, authenticated as its reader service account. Apply it to
 * the cluster meshpilot's `remoteSecrets` watches. Tokens are printed only inside that Secret.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { clientNodeMemberApi, type MemberClusterApi } from './member-cluster-api.ts';

export const RemoteSecretErrorCode = {
  badInput: 'MESHPILOT_ERR_REMOTE_SECRET_INPUT',
  noServiceAccount: 'MESHPILOT_ERR_REMOTE_SECRET_NO_SERVICE_ACCOUNT',
  noToken: 'MESHPILOT_ERR_REMOTE_SECRET_NO_TOKEN',
  credentials: 'MESHPILOT_ERR_REMOTE_SECRET_CREDENTIALS',
} as const;
export const REMOTE_SECRET_FALLBACK_WARNING = 'MESHPILOT_WARN_REMOTE_SECRET_KUBECONFIG_CREDENTIALS';

export class RemoteSecretError extends Error {
  constructor(
    readonly code: (typeof RemoteSecretErrorCode)[keyof typeof RemoteSecretErrorCode],
    message: string,
  ) {
    super(message);
  }
}

/** Where the token comes from. `auto`: service-account token Secret, else TokenRequest, else (API without ServiceAccounts, e.g. kube-sim) the kubeconfig's own credentials. */
export const AUTH_SOURCES = ['auto', 'secret', 'token-request', 'kubeconfig'] as const;
export type AuthSource = (typeof AUTH_SOURCES)[number];

export interface RemoteSecretOptions {
  /** Kube cluster name: the data key, CLUSTER_ID. */
  readonly name: string;
  /** Namespace of the reader service account in the member cluster and of the printed Secret. */
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly auth: AuthSource;
  /** API server URL written into the kubeconfig (default: the kubeconfig's). */
  readonly server?: string;
  /** How long to wait for the token controller to fill a token Secret (default 10 s). */
  readonly tokenWaitMs?: number;
  /** TokenRequest lifetime asked for (the API server may cap it); default one year. */
  readonly tokenTtlSeconds?: number;
}

interface Credentials {
  readonly user: Record<string, string>;
  readonly caPem?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const POLL_MS = 100;

export function remoteSecretName(name: string): string {
  return `istio-remote-secret-${name}`;
}

export function tokenSecretName(serviceAccount: string): string {
  return `${serviceAccount}-remote-secret-token`;
}

async function waitForToken(
  api: MemberClusterApi,
  options: RemoteSecretOptions,
  secretName: string,
): Promise<Credentials | undefined> {
  const deadline = Date.now() + (options.tokenWaitMs ?? 10_000);
  for (let attempt = 0; attempt < 10_000; attempt += 1) {
    const secret = await api.readTokenSecret(options.namespace, secretName);
    if (secret?.token !== undefined)
      return { user: { token: secret.token }, ...(secret.caPem !== undefined ? { caPem: secret.caPem } : {}) };
    if (Date.now() >= deadline) return undefined;
    await sleep(POLL_MS);
  }
  return undefined;
}

/** A long-lived token as istioctl gets one: a kubernetes.io/service-account-token Secret the token controller fills. */
async function tokenFromSecret(api: MemberClusterApi, options: RemoteSecretOptions): Promise<Credentials | undefined> {
  const secretName = tokenSecretName(options.serviceAccount);
  const existing = await api.readTokenSecret(options.namespace, secretName);
  if (existing === undefined) await api.createTokenSecret(options.namespace, secretName, options.serviceAccount);
  const credentials = await waitForToken(api, options, secretName);
  if (credentials === undefined && existing === undefined)
    await api.deleteSecret(options.namespace, secretName).catch(() => undefined);
  return credentials;
}

async function tokenFromTokenRequest(
  api: MemberClusterApi,
  options: RemoteSecretOptions,
  warn: (text: string) => void,
): Promise<Credentials> {
  const { token, expiresAt } = await api.requestToken(
    options.namespace,
    options.serviceAccount,
    options.tokenTtlSeconds ?? 365 * 24 * 3600,
  );
  if (token === '')
    throw new RemoteSecretError(RemoteSecretErrorCode.noToken, 'the TokenRequest API answered without a token');
  warn(
    `warning: the token comes from the TokenRequest API and expires${expiresAt !== undefined ? ` at ${expiresAt.toISOString()}` : ''}; re-run create-remote-secret before then\n`,
  );
  return { user: { token } };
}

async function requireServiceAccount(api: MemberClusterApi, options: RemoteSecretOptions): Promise<void> {
  if (!(await api.serviceAccountExists(options.namespace, options.serviceAccount))) {
    throw new RemoteSecretError(
      RemoteSecretErrorCode.noServiceAccount,
      `service account ${options.namespace}/${options.serviceAccount} does not exist in the member cluster: apply deploy/member-cluster/ there first`,
    );
  }
}

async function fileBase64(path: string | undefined): Promise<string | undefined> {
  return path === undefined ? undefined : (await readFile(path)).toString('base64');
}

/** The kubeconfig's current user, made self-contained (file references read in). */
async function kubeconfigUser(user: User | null): Promise<Record<string, string>> {
  if (user === null)
    throw new RemoteSecretError(RemoteSecretErrorCode.credentials, 'the kubeconfig has no current user');
  if (user.token !== undefined && user.token !== '') return { token: user.token };
  const cert = user.certData ?? (await fileBase64(user.certFile));
  const key = user.keyData ?? (await fileBase64(user.keyFile));
  if (cert !== undefined && key !== undefined) return { 'client-certificate-data': cert, 'client-key-data': key };
  throw new RemoteSecretError(
    RemoteSecretErrorCode.credentials,
    `user ${user.name} of the kubeconfig has neither a token nor a client certificate (exec and auth-provider plugins cannot be embedded in a remote secret)`,
  );
}

async function obtainCredentials(
  api: MemberClusterApi,
  config: KubeConfig,
  options: RemoteSecretOptions,
  warn: (text: string) => void,
): Promise<Credentials> {
  const fallback = async (why: string): Promise<Credentials> => {
    warn(
      `warning [${REMOTE_SECRET_FALLBACK_WARNING}]: ${why}; the secret carries the kubeconfig's own credentials, with all their rights\n`,
    );
    return { user: await kubeconfigUser(config.getCurrentUser()) };
  };
  if (options.auth === 'kubeconfig') return fallback('--auth kubeconfig');
  if (options.auth === 'token-request') {
    await requireServiceAccount(api, options);
    return tokenFromTokenRequest(api, options, warn);
  }
  const served = await api.coreResources();
  if (options.auth === 'auto' && !served.has('serviceaccounts')) {
    return fallback(
      'the member API server serves no ServiceAccounts (a simulator such as kube-sim?), so no reader token can be made',
    );
  }
  if (served.has('serviceaccounts')) await requireServiceAccount(api, options);
  const fromSecret = await tokenFromSecret(api, options);
  if (fromSecret !== undefined) return fromSecret;
  if (options.auth === 'auto' && served.has('serviceaccounts/token')) return tokenFromTokenRequest(api, options, warn);
  throw new RemoteSecretError(
    RemoteSecretErrorCode.noToken,
    `no token controller filled Secret ${options.namespace}/${tokenSecretName(options.serviceAccount)} within ${options.tokenWaitMs ?? 10_000} ms`,
  );
}

async function clusterCaBase64(cluster: Cluster, credentials: Credentials): Promise<string | undefined> {
  if (credentials.caPem !== undefined) return Buffer.from(credentials.caPem).toString('base64');
  return cluster.caData ?? (await fileBase64(cluster.caFile));
}

/** The Secret YAML; `config` is the member cluster's kubeconfig, `api` talks to it. */
export async function createRemoteSecret(
  config: KubeConfig,
  api: MemberClusterApi,
  options: RemoteSecretOptions,
  warn: (text: string) => void,
): Promise<string> {
  if (!DNS_LABEL.test(options.name))
    throw new RemoteSecretError(
      RemoteSecretErrorCode.badInput,
      `--name "${options.name}" must be a DNS label (lowercase letters, digits, '-')`,
    );
  const cluster = config.getCurrentCluster();
  if (cluster === null)
    throw new RemoteSecretError(RemoteSecretErrorCode.badInput, 'the kubeconfig has no current cluster');
  const credentials = await obtainCredentials(api, config, options, warn);
  const caData = await clusterCaBase64(cluster, credentials);
  const kubeconfig = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: options.name,
        cluster: {
          server: options.server ?? cluster.server,
          ...(caData !== undefined ? { 'certificate-authority-data': caData } : {}),
          ...(cluster.tlsServerName !== undefined ? { 'tls-server-name': cluster.tlsServerName } : {}),
          ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    users: [{ name: options.name, user: credentials.user }],
    contexts: [{ name: options.name, context: { cluster: options.name, user: options.name } }],
    'current-context': options.name,
    preferences: {},
  });
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: remoteSecretName(options.name),
      namespace: options.namespace,
      labels: { 'istio/multiCluster': 'true' },
      annotations: { 'networking.istio.io/cluster': options.name },
    },
    type: 'Opaque',
    data: { [options.name]: Buffer.from(kubeconfig).toString('base64') },
  });
}

export interface CreateRemoteSecretFlags {
  /** Absent: $KUBECONFIG (its first file), else ~/.kube/config, as kubectl and istioctl. */
  kubeconfig?: string;
  context?: string;
  name: string;
  namespace: string;
  server?: string;
  serviceAccount: string;
  auth: AuthSource;
  tokenWaitMs?: number;
}

/** kubectl's default: the first file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p !== '');
  return first ?? join(homedir(), '.kube', 'config');
}

export async function runCreateRemoteSecret(
  flags: CreateRemoteSecretFlags,
  stdout: { write(text: string): unknown },
  stderr: { write(text: string): unknown },
): Promise<number> {
  try {
    const config = new KubeConfig();
    const file = flags.kubeconfig ?? defaultKubeconfigPath();
    try {
      config.loadFromFile(file);
    } catch (error: unknown) {
      const which =
        flags.kubeconfig !== undefined ? '--kubeconfig' : 'the default kubeconfig ($KUBECONFIG, ~/.kube/config)';
      throw new RemoteSecretError(
        RemoteSecretErrorCode.badInput,
        `${which} ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (flags.context !== undefined) config.setCurrentContext(flags.context);
    const options: RemoteSecretOptions = {
      name: flags.name,
      namespace: flags.namespace,
      serviceAccount: flags.serviceAccount,
      auth: flags.auth,
      ...(flags.server !== undefined ? { server: flags.server } : {}),
      ...(flags.tokenWaitMs !== undefined ? { tokenWaitMs: flags.tokenWaitMs } : {}),
    };
    stdout.write(await createRemoteSecret(config, clientNodeMemberApi(config), options, (text) => stderr.write(text)));
    return 0;
  } catch (error: unknown) {
    const code = error instanceof RemoteSecretError ? error.code : RemoteSecretErrorCode.credentials;
    stderr.write(`error [${code}]: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
