import { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Secret } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';
import type { KubeconfigSource } from '../kube/kubeconfig.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';
import { ResilientInformer } from '../kube/informer.ts';
import { namespacedKey, pageOf, type InformedResource } from '../kube/resource.ts';

/** Istio's SDS resource names for Gateway credentials served by the control plane (credentials.ToResourceName). */
export const CREDENTIAL_PREFIX = 'kubernetes://';
/** Istio's SdsCaSuffix: the client CA of a MUTUAL credential. */
export const CA_SUFFIX = '-cacert';
/** A credential bigger than this is refused (a certificate chain, key or bundle is a few KiB). */
const MAX_VALUE_BYTES = 256 * 1024;

/**
 * The parts of a kube Secret a Gateway credential uses, decoded (Istio's kube credentials controller):
 * `tls.crt` / `tls.key` / `ca.crt` (kubernetes.io/tls) or `cert` / `key` / `cacert` (generic). Nothing else
 * of the Secret is kept, and none of it is ever logged.
 */
export interface CredentialRecord {
  readonly certChain?: string;
  readonly privateKey?: string;
  readonly caCert?: string;
  /** Why the Secret cannot be used (a value too large or not text), without its content. */
  readonly problem?: string;
}

function decoded(data: Record<string, unknown>, keys: readonly string[]): { value?: string; problem?: string } {
  for (const key of keys) {
    const raw = data[key];
    if (typeof raw !== 'string') continue;
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length > MAX_VALUE_BYTES) return { problem: `data.${key} is larger than ${MAX_VALUE_BYTES} bytes` };
    return { value: bytes.toString('utf8') };
  }
  return {};
}

/** A Secret object reduced to its credential parts (the informer keeps only this). */
export function reduceCredentialSecret(object: unknown): CredentialRecord {
  const data = typeof object === 'object' && object !== null ? (object as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) return {};
  const fields = data as Record<string, unknown>;
  const cert = decoded(fields, ['tls.crt', 'cert']);
  const key = decoded(fields, ['tls.key', 'key']);
  const ca = decoded(fields, ['ca.crt', 'cacert']);
  const problem = cert.problem ?? key.problem ?? ca.problem;
  return {
    ...(cert.value !== undefined ? { certChain: cert.value } : {}),
    ...(key.value !== undefined ? { privateKey: key.value } : {}),
    ...(ca.value !== undefined ? { caCert: ca.value } : {}),
    ...(problem !== undefined ? { problem } : {}),
  };
}

/** `kubernetes://<name>` → the Secret name and whether the client CA is asked for; undefined for other names. */
export function parseCredentialName(resourceName: string): { secretName: string; ca: boolean } | undefined {
  if (!resourceName.startsWith(CREDENTIAL_PREFIX)) return undefined;
  const rest = resourceName.slice(CREDENTIAL_PREFIX.length);
  if (rest === '' || rest.includes('/')) return undefined;
  return rest.endsWith(CA_SUFFIX) && rest.length > CA_SUFFIX.length
    ? { secretName: rest.slice(0, -CA_SUFFIX.length), ca: true }
    : { secretName: rest, ca: false };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/;

export type CredentialSecret =
  { readonly ok: true; readonly secret: Secret } | { readonly ok: false; readonly error: string };

/**
 * The SDS Secret for a Gateway credential, as Istio's SecretGen builds it: the certificate chain and key of
 * Secret `<name>`, or for `<name>-cacert` the CA bundle of Secret `<name>-cacert`, else `ca.crt` / `cacert`
 * of Secret `<name>`. `lookup` gives the reduced Secret of a name in the gateway's namespace (undefined:
 * none). A missing or malformed Secret is an error naming the Secret and the key, never its content.
 */
export function credentialSecret(
  resourceName: string,
  namespace: string,
  lookup: (secretName: string) => CredentialRecord | undefined,
): CredentialSecret {
  const parsed = parseCredentialName(resourceName);
  if (parsed === undefined) return { ok: false, error: `${resourceName} is not a kubernetes:// credential name` };
  if (parsed.ca) {
    const own = lookup(`${parsed.secretName}${CA_SUFFIX}`);
    const record = own ?? lookup(parsed.secretName);
    const where = `Secret ${namespace}/${own !== undefined ? `${parsed.secretName}${CA_SUFFIX}` : parsed.secretName}`;
    if (record === undefined)
      return {
        ok: false,
        error: `Secret ${namespace}/${parsed.secretName} (or ${parsed.secretName}${CA_SUFFIX}) not found`,
      };
    if (record.problem !== undefined) return { ok: false, error: `${where}: ${record.problem}` };
    if (record.caCert === undefined) return { ok: false, error: `${where} has no ca.crt or cacert` };
    if (!PEM_CERT.test(record.caCert)) return { ok: false, error: `${where}: the CA bundle is not a PEM certificate` };
    return { ok: true, secret: { validation_context: { trusted_ca: { inline_bytes: Buffer.from(record.caCert) } } } };
  }
  const where = `Secret ${namespace}/${parsed.secretName}`;
  const record = lookup(parsed.secretName);
  if (record === undefined) return { ok: false, error: `${where} not found` };
  if (record.problem !== undefined) return { ok: false, error: `${where}: ${record.problem}` };
  if (record.certChain === undefined || record.privateKey === undefined)
    return { ok: false, error: `${where} needs tls.crt and tls.key (or cert and key)` };
  if (!PEM_CERT.test(record.certChain))
    return { ok: false, error: `${where}: the certificate is not a PEM certificate` };
  if (!PEM_KEY.test(record.privateKey)) return { ok: false, error: `${where}: the key is not a PEM private key` };
  return {
    ok: true,
    secret: {
      tls_certificate: {
        certificate_chain: { inline_bytes: Buffer.from(record.certChain) },
        private_key: { inline_bytes: Buffer.from(record.privateKey) },
      },
    },
  };
}

/** Where a kube cluster's Secrets are read from. */
export interface SecretsKubeCluster {
  readonly kubeconfig: KubeconfigSource;
  readonly policy?: KubeconfigPolicy;
}

export type SecretsLookup =
  | { readonly state: 'ready'; readonly get: (secretName: string) => CredentialRecord | undefined }
  | { readonly state: 'pending' }
  | { readonly state: 'unavailable'; readonly reason: string };

interface NamespaceWatch {
  readonly informer: ResilientInformer<CredentialRecord> | undefined;
  readonly records: Map<string, CredentialRecord>;
  synced: boolean;
  error: string | undefined;
}

/** At most this many namespaces are watched per kube cluster (one per gateway namespace in practice). */
const MAX_WATCHED_NAMESPACES = 256;

/**
 * Secrets of the gateways' namespaces, read through the kube layer (one ResilientInformer per kube cluster
 * and namespace, started when a gateway first asks for a credential there, list + watch): only credential
 * parts are kept (reduceCredentialSecret). `onChange` hears which kube cluster and namespace changed.
 */
export class KubeCredentialSecrets {
  readonly #clusters: ReadonlyMap<string, SecretsKubeCluster>;
  readonly #logger: Logger;
  readonly #watches = new Map<string, NamespaceWatch>();
  readonly #listeners = new Set<(kubeCluster: string, namespace: string) => void>();
  #stopped = false;

  constructor(clusters: ReadonlyMap<string, SecretsKubeCluster>, logger: Logger) {
    this.#clusters = clusters;
    this.#logger = logger;
  }

  onChange(listener: (kubeCluster: string, namespace: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  lookup(kubeCluster: string, namespace: string): SecretsLookup {
    const key = `${kubeCluster}/${namespace}`;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      const cluster = this.#clusters.get(kubeCluster);
      if (cluster === undefined)
        return { state: 'unavailable', reason: `kube cluster "${kubeCluster}" has no kubeconfig to read Secrets with` };
      const perCluster = [...this.#watches.keys()].filter((k) => k.startsWith(`${kubeCluster}/`)).length;
      if (perCluster >= MAX_WATCHED_NAMESPACES || this.#stopped)
        return { state: 'unavailable', reason: `too many namespaces watched for Secrets in "${kubeCluster}"` };
      watch = this.#start(kubeCluster, namespace, cluster);
      this.#watches.set(key, watch);
    }
    if (watch.error !== undefined && !watch.synced) return { state: 'unavailable', reason: watch.error };
    if (!watch.synced) return { state: 'pending' };
    const records = watch.records;
    return { state: 'ready', get: (name) => records.get(`${namespace}/${name}`) };
  }

  #start(kubeCluster: string, namespace: string, cluster: SecretsKubeCluster): NamespaceWatch {
    const watch: NamespaceWatch = { informer: undefined, records: new Map(), synced: false, error: undefined };
    let loaded: ReturnType<typeof loadKubeConfig>;
    try {
      loaded = loadKubeConfig(cluster.kubeconfig, cluster.policy);
    } catch (error: unknown) {
      watch.error = `kube cluster "${kubeCluster}": invalid kubeconfig: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
      return watch;
    }
    const core = loaded.kubeConfig.makeApiClient(CoreV1Api);
    const resource: InformedResource<CredentialRecord> = {
      resource: 'secrets',
      path: `/api/v1/namespaces/${namespace}/secrets`,
      listPage: async (limit, token) =>
        pageOf(await core.listNamespacedSecret({ namespace, limit, ...(token ? { _continue: token } : {}) })),
      key: namespacedKey,
      reduce: reduceCredentialSecret,
    };
    const changed = () => {
      for (const listener of this.#listeners) listener(kubeCluster, namespace);
    };
    const informer = new ResilientInformer({
      kubeConfig: loaded.kubeConfig,
      resource,
      secrets: loaded.credentials,
      handlers: {
        onListing: (listing) => {
          watch.records.clear();
          for (const [key, record] of listing) watch.records.set(key, record);
          changed();
        },
        onUpsert: (key, record) => {
          watch.records.set(key, record);
          changed();
        },
        onDelete: (key) => {
          watch.records.delete(key);
          changed();
        },
        onSynced: () => {
          watch.synced = true;
          watch.error = undefined;
          changed();
        },
        onFailure: (reason) => {
          if (watch.error === undefined)
            this.#logger.warn(
              { kubeCluster, namespace, code: 'MESHPILOT_ERR_GATEWAY_CREDENTIAL', reason },
              'gateway credential Secrets cannot be read; keeping the last ones read',
            );
          watch.error = `kube cluster "${kubeCluster}": ${reason}`;
          changed();
        },
      },
    });
    (watch as { informer: ResilientInformer<CredentialRecord> | undefined }).informer = informer;
    informer.start().catch(() => {
      // start() failures are reported through onFailure and retried by the informer.
    });
    return watch;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#watches.values()].map((w) => w.informer?.stop()));
    this.#watches.clear();
  }
}
