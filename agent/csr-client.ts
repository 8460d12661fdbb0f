/**
 * The agent's side of Istio's CSR API: a key pair and PKCS#10 request (ECDSA P-256, the SPIFFE id as
 * URI SAN, as Istio's agent asks), and one CreateCertificate call over TLS authenticated by a
 * service-account token or the workload's current certificate.
 */
import * as grpc from '@grpc/grpc-js';
import { x509 } from '../pki/x509-library.ts';
import { exportPrivateKeyPem, generateEcdsaKeyPair, WORKLOAD_SIGNING_ALGORITHM } from '../pki/keys.ts';
import { CSR_SERVICE, type CertificateRequestMessage, type CertificateResponseMessage } from '../pki/csr-protocol.ts';
import { AgentError } from './agent-error.ts';

export interface KeyAndCsr {
  privateKeyPem: string;
  csrPem: string;
}

export async function createKeyAndCsr(spiffeId: string): Promise<KeyAndCsr> {
  const keys = await generateEcdsaKeyPair();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: WORKLOAD_SIGNING_ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return { privateKeyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: request.toString('pem') };
}

export type CsrAuthentication =
  { kind: 'token'; token: string } | { kind: 'certificate'; certChainPem: string; privateKeyPem: string };

export interface CreateCertificateCall {
  /** host:port of meshpilot's TLS xDS port (CreateCertificate is served there). */
  caAddress: string;
  /** Trust anchor for the control plane's serving certificate; undefined = do not verify (trust on first use). */
  rootPem: string | undefined;
  authentication: CsrAuthentication;
  csrPem: string;
  ttlSeconds: number;
  /** TLS name to check the serving certificate against, when it differs from the address host. */
  serverName?: string;
  timeoutMs?: number;
}

const CsrClient = grpc.makeGenericClientConstructor(CSR_SERVICE, 'IstioCertificateService');

function channelCredentials(call: CreateCertificateCall): grpc.ChannelCredentials {
  const root = call.rootPem === undefined ? null : Buffer.from(call.rootPem);
  const verify: grpc.VerifyOptions =
    call.rootPem === undefined ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  if (call.authentication.kind === 'certificate') {
    return grpc.credentials.createSsl(
      root,
      Buffer.from(call.authentication.privateKeyPem),
      Buffer.from(call.authentication.certChainPem),
      verify,
    );
  }
  return grpc.credentials.createSsl(root, null, null, verify);
}

/** The issued chain, leaf first and root last. Errors carry the server's status, never the token. */
export async function createCertificate(call: CreateCertificateCall): Promise<string[]> {
  const options: grpc.ChannelOptions =
    call.serverName !== undefined ? { 'grpc.ssl_target_name_override': call.serverName } : {};
  const client = new CsrClient(call.caAddress, channelCredentials(call), options);
  const metadata = new grpc.Metadata();
  if (call.authentication.kind === 'token') metadata.set('authorization', `Bearer ${call.authentication.token}`);
  const request: CertificateRequestMessage = { csr: call.csrPem, validity_duration: call.ttlSeconds };
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const method = (
        client as unknown as Record<
          string,
          (
            r: CertificateRequestMessage,
            m: grpc.Metadata,
            o: grpc.CallOptions,
            cb: grpc.requestCallback<CertificateResponseMessage>,
          ) => void
        >
      ).CreateCertificate;
      if (method === undefined) {
        reject(new AgentError('MESHPILOT_ERR_AGENT_CSR', 'internal: CreateCertificate method missing'));
        return;
      }
      method.call(
        client,
        request,
        metadata,
        { deadline: Date.now() + (call.timeoutMs ?? 10_000) },
        (error, response) => {
          if (error) {
            const name = grpc.status[error.code] ?? String(error.code);
            reject(
              new AgentError(
                'MESHPILOT_ERR_AGENT_CSR',
                `CreateCertificate on ${call.caAddress} failed: ${name}: ${error.details}`,
                error.code,
              ),
            );
            return;
          }
          const chain = response?.cert_chain ?? [];
          if (chain.length < 2) {
            reject(
              new AgentError(
                'MESHPILOT_ERR_AGENT_CSR',
                `CreateCertificate on ${call.caAddress} returned ${chain.length} certificate(s); expected leaf … root`,
              ),
            );
            return;
          }
          resolve(chain);
        },
      );
    });
  } finally {
    client.close();
  }
}
