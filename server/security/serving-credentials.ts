/**
 * TLS server credentials for the xDS/CSR port that *request* a client certificate but do not require
 * one: proxies may authenticate with a mesh certificate or, without one, with a bearer token.
 * grpc-js's createSsl can only require client certificates or not ask for them at all, so this
 * subclasses its public ServerCredentials with Node's requestCert / rejectUnauthorized options.
 * A client certificate that does not chain to `ca` leaves the connection unauthorized, and grpc-js
 * then reports no peer certificate for it. The serving certificate can be replaced while running.
 */
import { ServerCredentials } from '@grpc/grpc-js';

export interface ServingKeyPair {
  certChainPem: string;
  privateKeyPem: string;
}

export class ClientCertificateRequestingCredentials extends ServerCredentials {
  readonly #caPem: string;

  constructor(caPem: string, serving: ServingKeyPair) {
    super(
      { requestCert: true, rejectUnauthorized: false },
      { ca: Buffer.from(caPem), cert: Buffer.from(serving.certChainPem), key: Buffer.from(serving.privateKeyPem) },
    );
    this.#caPem = caPem;
  }

  /** Serves new connections with a new certificate (rotation); open connections keep theirs. */
  replaceServingCertificate(serving: ServingKeyPair): void {
    this.updateSecureContextOptions({
      ca: Buffer.from(this.#caPem),
      cert: Buffer.from(serving.certChainPem),
      key: Buffer.from(serving.privateKeyPem),
    });
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
