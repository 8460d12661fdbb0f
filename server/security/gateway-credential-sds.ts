import type { Logger } from 'pino';
import type { ProtoObject } from '../../protos/any.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import { gatewaysForProxy } from '../../translators/gateway/selected-gateways.ts';
import { encodeResource } from '../cache/encoded-resource.ts';
import type { ConnectedProxy } from '../generators/proxy-identity.ts';
import type { EncodedResource } from '../xds/encoded-resource.ts';
import type { SourceStream } from '../xds/resource-source.ts';
import type { WorkloadIdentity } from '../../pki/spiffe.ts';
import { CA_SUFFIX, CREDENTIAL_PREFIX, credentialSecret, type SecretsLookup } from './gateway-credential-secrets.ts';

type SdsStream = SourceStream<ConnectedProxy>;

export interface CredentialSecretsReader {
  lookup(kubeCluster: string, namespace: string): SecretsLookup;
  onChange(listener: (kubeCluster: string, namespace: string) => void): () => void;
}

export interface GatewayCredentialSdsOptions {
  readonly secrets: CredentialSecretsReader;
  /** The mesh the Gateways are read from (the cache's current snapshot). */
  readonly snapshot: () => MeshSnapshot | undefined;
  readonly logger: Logger;
}

export function isCredentialName(name: string): boolean {
  return name.startsWith(CREDENTIAL_PREFIX);
}

/**
 * The credential names a router may have, as Istio's mergeGateways verifies them
 * (VerifiedCertificateReferences, same-namespace trust): `kubernetes://<credentialName>` of every server of
 * a Gateway that selects the router and lives in the namespace the router authenticated as, and
 * `kubernetes://<credentialName>-cacert` for MUTUAL servers. Secrets of that namespace no Gateway names
 * (the namespace's other Secrets) are never served. Pure.
 */
export function verifiedCredentialNames(snapshot: MeshSnapshot, view: ProxyView, namespace: string): Set<string> {
  const names = new Set<string>();
  for (const gateway of gatewaysForProxy(snapshot, view)) {
    if (gateway.meta.namespace !== namespace) continue;
    for (const server of gateway.spec.servers) {
      const credential = server.tls?.credentialName;
      if (credential === undefined || server.tls?.mode === 'ISTIO_MUTUAL') continue;
      names.add(`${CREDENTIAL_PREFIX}${credential}`);
      if (server.tls?.mode === 'MUTUAL') names.add(`${CREDENTIAL_PREFIX}${credential}${CA_SUFFIX}`);
    }
  }
  return names;
}

/**
 * SDS for Gateway credentials (`kubernetes://<credentialName>` and its `-cacert`), as istiod's SecretGen:
 * served only on an authenticated stream of a router, for names a Gateway of the router's authenticated
 * namespace gives it (verifiedCredentialNames), from the kube Secret of that name in that namespace of the
 * router's own kube cluster. A name the router may not have, a missing Secret or a malformed one is left out
 * of the response with a warning naming why (never the Secret's content); the stream is pushed again when
 * the namespace's Secrets change.
 */
export class GatewayCredentialSds {
  readonly #options: GatewayCredentialSdsOptions;
  readonly #watchers = new Map<string, Set<SdsStream>>();
  readonly #logged = new WeakMap<SdsStream, Set<string>>();
  readonly #unsubscribe: () => void;

  constructor(options: GatewayCredentialSdsOptions) {
    this.#options = options;
    this.#unsubscribe = options.secrets.onChange((kubeCluster, namespace) => {
      const watchers = this.#watchers.get(`${kubeCluster}/${namespace}`);
      for (const stream of watchers ?? []) if (!stream.isClosed) stream.push();
    });
  }

  /** The credentials among `names` this stream gets now. */
  resources(
    stream: SdsStream,
    identity: WorkloadIdentity | undefined,
    names: readonly string[],
  ): Map<string, EncodedResource> {
    const out = new Map<string, EncodedResource>();
    if (names.length === 0) return out;
    const view = stream.proxy.view;
    const warn = (name: string, code: string, reason: string) =>
      this.#logOnce(stream, `${name}|${reason}`, () =>
        this.#options.logger.warn(
          { connection: stream.id, proxy: stream.proxy.id, secret: name, code, reason },
          'SDS gateway credential not served',
        ),
      );
    if (identity === undefined) {
      for (const name of names)
        warn(name, 'MESHPILOT_ERR_SDS_DENIED', 'the stream is not authenticated (use the TLS xDS port)');
      return out;
    }
    if (view.proxyType !== 'router') {
      for (const name of names)
        warn(name, 'MESHPILOT_ERR_SDS_DENIED', 'only gateways (router proxies) get Gateway credentials');
      return out;
    }
    const snapshot = this.#options.snapshot();
    const allowed =
      snapshot === undefined ? new Set<string>() : verifiedCredentialNames(snapshot, view, identity.namespace);
    const key = `${view.kubeCluster}/${identity.namespace}`;
    let watchers = this.#watchers.get(key);
    if (watchers === undefined) this.#watchers.set(key, (watchers = new Set()));
    watchers.add(stream);
    const secrets = this.#options.secrets.lookup(view.kubeCluster, identity.namespace);
    for (const name of names) {
      if (!allowed.has(name)) {
        warn(
          name,
          'MESHPILOT_ERR_SDS_DENIED',
          `no Gateway of namespace ${identity.namespace} that selects this gateway names it as credentialName`,
        );
        continue;
      }
      if (secrets.state === 'pending') continue;
      if (secrets.state === 'unavailable') {
        warn(name, 'MESHPILOT_ERR_GATEWAY_CREDENTIAL', secrets.reason);
        continue;
      }
      const built = credentialSecret(name, identity.namespace, secrets.get);
      if (!built.ok) {
        warn(name, 'MESHPILOT_ERR_GATEWAY_CREDENTIAL', built.error);
        continue;
      }
      out.set(name, encodeResource({ name, typeUrl: SECRET_TYPE, object: { name, ...(built.secret as ProtoObject) } }));
    }
    return out;
  }

  released(stream: SdsStream): void {
    for (const [key, watchers] of this.#watchers) {
      watchers.delete(stream);
      if (watchers.size === 0) this.#watchers.delete(key);
    }
  }

  stop(): void {
    this.#unsubscribe();
  }

  #logOnce(stream: SdsStream, what: string, log: () => void): void {
    let seen = this.#logged.get(stream);
    if (seen === undefined) this.#logged.set(stream, (seen = new Set()));
    if (seen.has(what) || seen.size > 256) return;
    seen.add(what);
    log();
  }
}
