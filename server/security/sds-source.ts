/**
 * SDS over ADS: the per-proxy source of `type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret`.
 * `ROOTCA` (the trust bundle) goes to every proxy. `default` (certificate chain + private key) goes
 * only to a stream that authenticated on the TLS port, and is always the certificate of the identity
 * it authenticated as: the name `default` is resolved from the connection, never from the request or
 * node metadata, so no request can obtain another identity's key.
 *
 * Issuance is asynchronous: the first request gets what is ready, and the stream is pushed when its
 * certificate arrives. A timer at the cache's next rotation deadline reissues certificates of
 * identities that still have streams and pushes them; others are dropped from the cache.
 */
import type { Logger } from 'pino';
import type { ProtoObject } from '../../protos/any.ts';
import type { Secret } from '../../protos/generated/envoy/extensions/transport_sockets/tls/v3/Secret.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { encodeResource } from '../cache/encoded-resource.ts';
import type { ConnectedProxy } from '../generators/proxy-identity.ts';
import type { EncodedResource } from '../xds/encoded-resource.ts';
import type { ResourceMap, ResourceSource, SourceStream, Touched } from '../xds/resource-source.ts';
import type { WorkloadCertificate } from './ca.ts';
import type { CertificateCache } from './rotation.ts';
import type { WorkloadIdentity } from '../../pki/spiffe.ts';
import { errorMessage } from '../../common/error-message.ts';
import { isCredentialName, type GatewayCredentialSds } from './gateway-credential-sds.ts';

export const DEFAULT_SECRET_NAME = 'default';
export const ROOTCA_SECRET_NAME = 'ROOTCA';
/** The rotation timer never fires more often than this, even while a reissue is pending or failing. */
const MIN_TIMER_DELAY_MS = 100;

export interface SdsSourceOptions {
  readonly certificates: CertificateCache;
  /** The trust bundle PEM (CertificateAuthority.rootCertPem()). */
  readonly rootCertPem: string;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Gateway credentials (`kubernetes://<credentialName>`) from the gateways' kube Secrets; absent: none served. */
  readonly gatewayCredentials?: GatewayCredentialSds;
}

/** An SDS resource from a typed Secret message (generated from the data-plane-api protos). */
function secretResource(name: string, secret: Secret): EncodedResource {
  return encodeResource({ name, typeUrl: SECRET_TYPE, object: { name, ...(secret as ProtoObject) } });
}

export function rootCaSecret(rootCertPem: string): EncodedResource {
  return secretResource(ROOTCA_SECRET_NAME, {
    validation_context: { trusted_ca: { inline_bytes: Buffer.from(rootCertPem) } },
  });
}

export function workloadSecret(certificate: WorkloadCertificate): EncodedResource {
  return secretResource(DEFAULT_SECRET_NAME, {
    tls_certificate: {
      certificate_chain: { inline_bytes: Buffer.from(certificate.certChainPem) },
      private_key: { inline_bytes: Buffer.from(certificate.privateKeyPem) },
    },
  });
}

function identityKey(identity: WorkloadIdentity): string {
  return `${identity.namespace}/${identity.serviceAccount}`;
}

type SdsStream = SourceStream<ConnectedProxy>;

function requestedSecretNames(connection: SdsStream): ReadonlySet<string> {
  return connection.subscribed(SECRET_TYPE);
}

export class SdsSource implements ResourceSource<ConnectedProxy, SnapshotDelta> {
  readonly #options: SdsSourceOptions;
  readonly #rootCa: EncodedResource;
  /** The encoded `default` of each identity, re-encoded only when its certificate changes. */
  readonly #encoded = new Map<string, { certificate: WorkloadCertificate; resource: EncodedResource }>();
  /** Streams of each identity that asked for `default`: pushed when its certificate is (re)issued. */
  readonly #watchers = new Map<string, Set<SdsStream>>();
  readonly #issuing = new Set<string>();
  readonly #logged = new WeakMap<SdsStream, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SdsSourceOptions) {
    this.#options = options;
    this.#rootCa = rootCaSecret(options.rootCertPem);
  }

  resources(connection: SdsStream): ResourceMap {
    const available = new Map<string, EncodedResource>([[ROOTCA_SECRET_NAME, this.#rootCa]]);
    const requested = requestedSecretNames(connection);
    const credentials: string[] = [];
    for (const name of requested) {
      if (this.#options.gatewayCredentials !== undefined && isCredentialName(name)) credentials.push(name);
      else if (name !== DEFAULT_SECRET_NAME && name !== ROOTCA_SECRET_NAME) this.#denyUnknownName(connection, name);
    }
    if (credentials.length > 0)
      for (const [name, resource] of this.#options.gatewayCredentials!.resources(
        connection,
        connection.authenticated,
        credentials,
      ))
        available.set(name, resource);
    if (!requested.has(DEFAULT_SECRET_NAME)) return available;
    const identity = connection.authenticated;
    if (identity === undefined) {
      this.#logOnce(connection, 'unauthenticated', () =>
        this.#options.logger.warn(
          {
            connection: connection.id,
            proxy: connection.proxy.id,
            claimedServiceAccount: connection.proxy.serviceAccount,
            claimedNamespace: connection.proxy.view.namespace,
            code: 'MESHPILOT_ERR_SDS_DENIED',
          },
          'SDS secret "default" denied: the stream is not authenticated (use the TLS xDS port with a mesh client certificate or a service-account token)',
        ),
      );
      return available;
    }
    this.#warnOnClaimMismatch(connection, identity);
    const key = identityKey(identity);
    let watchers = this.#watchers.get(key);
    if (watchers === undefined) this.#watchers.set(key, (watchers = new Set()));
    watchers.add(connection);

    const certificate = this.#options.certificates.peek(identity);
    if (certificate === undefined) {
      this.#issue(identity);
      return available;
    }
    available.set(DEFAULT_SECRET_NAME, this.#encodedFor(key, certificate));
    return available;
  }

  /** A closed stream is forgotten at once, not at the next rotation. */
  released(connection: SdsStream): void {
    this.#options.gatewayCredentials?.released(connection);
    for (const [key, watchers] of this.#watchers) {
      watchers.delete(connection);
      if (watchers.size === 0) this.#watchers.delete(key);
    }
  }

  /** How many streams wait for or follow a certificate (for tests and /debug). */
  get watchedStreams(): number {
    let count = 0;
    for (const watchers of this.#watchers.values()) count += watchers.size;
    return count;
  }

  /**
   * Workload secrets do not depend on the mesh: a stream is pushed when its certificate is (re)issued. A
   * gateway's credentials do (which Gateways name them): looked at again on every mesh change.
   */
  touched(_change: SnapshotDelta, connection: SdsStream): Touched {
    if (this.#options.gatewayCredentials === undefined) return 'none';
    return [...requestedSecretNames(connection)].some(isCredentialName) ? 'all' : 'none';
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#options.gatewayCredentials?.stop();
  }

  #encodedFor(key: string, certificate: WorkloadCertificate): EncodedResource {
    const cached = this.#encoded.get(key);
    if (cached !== undefined && cached.certificate === certificate) return cached.resource;
    const resource = workloadSecret(certificate);
    this.#encoded.set(key, { certificate, resource });
    return resource;
  }

  #issue(identity: WorkloadIdentity): void {
    const key = identityKey(identity);
    if (this.#issuing.has(key) || this.#stopped) return;
    this.#issuing.add(key);
    this.#options.certificates
      .get(identity)
      .then(
        (certificate) => {
          this.#options.logger.info(
            {
              identity: certificate.spiffeId,
              notAfter: certificate.notAfter.toISOString(),
              streams: this.#openWatchers(key).length,
            },
            'workload certificate issued for SDS',
          );
          this.#issuing.delete(key);
          for (const connection of this.#openWatchers(key)) connection.push();
        },
        (error: unknown) => {
          this.#issuing.delete(key);
          this.#options.logger.error(
            {
              namespace: identity.namespace,
              serviceAccount: identity.serviceAccount,
              code: 'MESHPILOT_ERR_SDS_ISSUE',
              error: errorMessage(error),
            },
            'workload certificate issuance failed; retrying at the next rotation check',
          );
        },
      )
      .finally(() => this.#schedule());
  }

  #openWatchers(key: string): SdsStream[] {
    const watchers = this.#watchers.get(key);
    if (watchers === undefined) return [];
    for (const connection of watchers) if (connection.isClosed) watchers.delete(connection);
    if (watchers.size === 0) this.#watchers.delete(key);
    return [...watchers];
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const deadline = this.#options.certificates.nextRotationDeadline();
    if (deadline === undefined) return;
    const delay = Math.max(deadline - this.#options.clock(), MIN_TIMER_DELAY_MS);
    this.#timer = setTimeout(() => this.#rotateDue(), delay);
    this.#timer.unref();
  }

  #rotateDue(): void {
    for (const identity of this.#options.certificates.dueIdentities()) {
      const key = identityKey(identity);
      if (this.#openWatchers(key).length > 0) {
        this.#issue(identity);
      } else {
        this.#options.certificates.delete(identity);
        this.#encoded.delete(key);
      }
    }
    this.#schedule();
  }

  #denyUnknownName(connection: SdsStream, name: string): void {
    this.#logOnce(connection, `name:${name}`, () =>
      this.#options.logger.warn(
        { connection: connection.id, proxy: connection.proxy.id, secret: name, code: 'MESHPILOT_ERR_SDS_DENIED' },
        'SDS secret not served: only "default" (the stream\'s own authenticated identity), "ROOTCA" and gateways\' kubernetes://<credentialName> exist',
      ),
    );
  }

  #warnOnClaimMismatch(connection: SdsStream, identity: WorkloadIdentity): void {
    const claimedServiceAccount = connection.proxy.serviceAccount;
    const claimedNamespace = connection.proxy.view.namespace;
    const differs =
      (claimedServiceAccount !== undefined && claimedServiceAccount !== identity.serviceAccount) ||
      (claimedNamespace !== undefined && claimedNamespace !== '' && claimedNamespace !== identity.namespace);
    if (!differs) return;
    this.#logOnce(connection, 'claim-mismatch', () =>
      this.#options.logger.warn(
        {
          connection: connection.id,
          proxy: connection.proxy.id,
          claimedServiceAccount,
          claimedNamespace,
          authenticatedAs: `${identity.namespace}/${identity.serviceAccount}`,
          code: 'MESHPILOT_ERR_SDS_DENIED',
        },
        'SDS: node metadata claims another identity than the stream authenticated as; only the authenticated identity\'s "default" is served',
      ),
    );
  }

  #logOnce(connection: SdsStream, what: string, log: () => void): void {
    let seen = this.#logged.get(connection);
    if (seen === undefined) this.#logged.set(connection, (seen = new Set()));
    if (seen.has(what)) return;
    seen.add(what);
    log();
  }
}
