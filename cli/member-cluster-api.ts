/**
 * The few member-cluster API calls `meshpilot create-remote-secret` makes, behind an interface so
 * that the token strategy can be tested against a fake token controller as well as against kube-sim.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface TokenSecret {
  /** Decoded `data.token`, once the token controller filled it. */
  readonly token?: string;
  /** Decoded `data["ca.crt"]`. */
  readonly caPem?: string;
}

export interface MemberClusterApi {
  /** Names of the core/v1 resources the API server serves (`serviceaccounts`, `serviceaccounts/token`, …). */
  coreResources(): Promise<ReadonlySet<string>>;
  serviceAccountExists(namespace: string, name: string): Promise<boolean>;
  readTokenSecret(namespace: string, name: string): Promise<TokenSecret | undefined>;
  /** Creates a Secret of type kubernetes.io/service-account-token for the service account. */
  createTokenSecret(namespace: string, name: string, serviceAccount: string): Promise<void>;
  deleteSecret(namespace: string, name: string): Promise<void>;
  /** TokenRequest API: a bound token and when it expires. */
  requestToken(
    namespace: string,
    serviceAccount: string,
    expirationSeconds: number,
  ): Promise<{ token: string; expiresAt?: Date }>;
}

/** The HTTP status of a client-node ApiException, if it is one. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

const decode = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export function clientNodeMemberApi(config: KubeConfig): MemberClusterApi {
  const core = config.makeApiClient(CoreV1Api);
  return {
    async coreResources() {
      const list = await core.getAPIResources();
      return new Set(list.resources.map((r) => r.name));
    },
    async serviceAccountExists(namespace, name) {
      try {
        await core.readNamespacedServiceAccount({ namespace, name });
        return true;
      } catch (error: unknown) {
        if (statusCodeOf(error) === 404) return false;
        throw error;
      }
    },
    async readTokenSecret(namespace, name) {
      try {
        const secret = await core.readNamespacedSecret({ namespace, name });
        const token = decode(secret.data?.['token']);
        const caPem = decode(secret.data?.['ca.crt']);
        return { ...(token !== undefined && token !== '' ? { token } : {}), ...(caPem !== undefined ? { caPem } : {}) };
      } catch (error: unknown) {
        if (statusCodeOf(error) === 404) return undefined;
        throw error;
      }
    },
    async createTokenSecret(namespace, name, serviceAccount) {
      await core.createNamespacedSecret({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace, annotations: { 'kubernetes.io/service-account.name': serviceAccount } },
          type: 'kubernetes.io/service-account-token',
        },
      });
    },
    async deleteSecret(namespace, name) {
      await core.deleteNamespacedSecret({ namespace, name });
    },
    async requestToken(namespace, serviceAccount, expirationSeconds) {
      const answer = await core.createNamespacedServiceAccountToken({
        namespace,
        name: serviceAccount,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: [], expirationSeconds },
        },
      });
      const expiresAt = answer.status?.expirationTimestamp;
      return {
        token: answer.status?.token ?? '',
        ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt) } : {}),
      };
    },
  };
}
