/**
 * Certificates from the CA work in real TLS: Node's OpenSSL verifies them, on loopback only.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority, type WorkloadCertificate } from './ca.ts';
import { makeTempDir } from '../../pki/test-support.ts';

const LOOPBACK = '127.0.0.1';
let ca: CertificateAuthority;
let foreignCa: CertificateAuthority;
let server: WorkloadCertificate;
let client: WorkloadCertificate;
const cleanups: Array<() => Promise<void>> = [];
const openServers: tls.Server[] = [];
const openSockets: tls.TLSSocket[] = [];

beforeAll(async () => {
  const own = await makeTempDir();
  const foreign = await makeTempDir();
  cleanups.push(own.cleanup, foreign.cleanup);
  ca = await loadOrCreateCa({ dir: own.dir, trustDomain: 'cluster.local' });
  foreignCa = await loadOrCreateCa({ dir: foreign.dir, trustDomain: 'cluster.local' });
  server = await ca.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'helloworld' });
  client = await ca.issueWorkloadCertificate({ namespace: 'sleep', serviceAccount: 'sleep' });
});

afterEach(async () => {
  for (const socket of openSockets.splice(0)) socket.destroy();
  for (const listening of openServers.splice(0)) {
    listening.close();
    await once(listening, 'close');
  }
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startMtlsServer(
  options: tls.TlsOptions,
): Promise<{ port: number; secureConnections: tls.TLSSocket[]; clientErrors: Error[]; listening: tls.Server }> {
  const secureConnections: tls.TLSSocket[] = [];
  const clientErrors: Error[] = [];
  const listening = tls.createServer({ requestCert: true, rejectUnauthorized: true, ...options }, (socket) => {
    secureConnections.push(socket);
    openSockets.push(socket);
    socket.end('hello');
  });
  listening.on('tlsClientError', (error) => clientErrors.push(error));
  openServers.push(listening);
  listening.listen(0, LOOPBACK);
  await once(listening, 'listening');
  return { port: (listening.address() as AddressInfo).port, secureConnections, clientErrors, listening };
}

/** Accepts the server only if its certificate carries the expected SPIFFE id (hostname checks do not apply). */
function expectSpiffeServer(
  expected: string,
): (hostname: string, certificate: tls.PeerCertificate) => Error | undefined {
  return (_hostname, certificate) =>
    certificate.subjectaltname === `URI:${expected}`
      ? undefined
      : new Error(`server is ${certificate.subjectaltname}, expected ${expected}`);
}

describe('workload certificates in TLS', () => {
  it('mutual TLS between two workloads: the server sees the client SPIFFE id', async () => {
    const { port, secureConnections } = await startMtlsServer({
      key: server.privateKeyPem,
      cert: server.certChainPem,
      ca: ca.rootCertPem(),
    });
    const socket = tls.connect({
      host: LOOPBACK,
      port,
      key: client.privateKeyPem,
      cert: client.certChainPem,
      ca: ca.rootCertPem(),
      checkServerIdentity: expectSpiffeServer(server.spiffeId),
    });
    openSockets.push(socket);
    const [data] = (await once(socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('hello');
    expect(socket.authorized).toBe(true);

    const accepted = secureConnections[0];
    if (accepted === undefined) throw new Error('server saw no secure connection');
    expect(accepted.authorized).toBe(true);
    const peer = accepted.getPeerCertificate(true);
    expect(peer.subjectaltname).toBe('URI:spiffe://cluster.local/ns/sleep/sa/sleep');

    // The same peer certificate authenticates through the CA, as the xDS server will do it.
    const verified = await ca.verifyWorkloadChain([peer.raw]);
    expect(verified).toMatchObject({ ok: true, namespace: 'sleep', serviceAccount: 'sleep' });
  });

  it('rejects a client certificate from another CA', async () => {
    const intruder = await foreignCa.issueWorkloadCertificate({ namespace: 'sleep', serviceAccount: 'sleep' });
    const { port, secureConnections, clientErrors, listening } = await startMtlsServer({
      key: server.privateKeyPem,
      cert: server.certChainPem,
      ca: ca.rootCertPem(),
    });
    const rejected = once(listening, 'tlsClientError');
    const socket = tls.connect({
      host: LOOPBACK,
      port,
      key: intruder.privateKeyPem,
      cert: intruder.certChainPem,
      ca: ca.rootCertPem(),
      checkServerIdentity: expectSpiffeServer(server.spiffeId),
    });
    openSockets.push(socket);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    await Promise.all([rejected, once(socket, 'close')]);
    expect(clientErrors).toHaveLength(1);
    expect(secureConnections).toHaveLength(0);
    expect(received).toHaveLength(0);
    expect(await ca.verifyWorkloadChain(intruder.certChainPem)).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_UNKNOWN_ISSUER',
    });
  });

  it('a server that inspects instead of rejecting sees why the foreign client failed', async () => {
    const intruder = await foreignCa.issueWorkloadCertificate({ namespace: 'sleep', serviceAccount: 'sleep' });
    const { port, secureConnections } = await startMtlsServer({
      key: server.privateKeyPem,
      cert: server.certChainPem,
      ca: ca.rootCertPem(),
      rejectUnauthorized: false,
    });
    const socket = tls.connect({
      host: LOOPBACK,
      port,
      key: intruder.privateKeyPem,
      cert: intruder.certChainPem,
      ca: ca.rootCertPem(),
      checkServerIdentity: expectSpiffeServer(server.spiffeId),
    });
    openSockets.push(socket);
    await once(socket, 'data');
    const accepted = secureConnections[0];
    expect(accepted?.authorized).toBe(false);
    expect(String(accepted?.authorizationError)).toMatch(/UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('a client trusting another root refuses our server', async () => {
    const { port } = await startMtlsServer({
      key: server.privateKeyPem,
      cert: server.certChainPem,
      ca: ca.rootCertPem(),
    });
    const socket = tls.connect({
      host: LOOPBACK,
      port,
      key: client.privateKeyPem,
      cert: client.certChainPem,
      ca: foreignCa.rootCertPem(),
    });
    openSockets.push(socket);
    const [error] = (await once(socket, 'error').catch((reason: unknown) => [reason])) as [Error];
    expect(error.message).toMatch(/self.signed|unable to (get|verify)|certificate/i);
  });
});

describe('serving certificate', () => {
  it('passes standard hostname verification for its DNS name and IP', async () => {
    const serving = await ca.issueServingCertificate({
      dnsNames: ['meshpilot.istio-system.svc'],
      ipAddresses: [LOOPBACK],
      ttlMs: 3_600_000,
    });
    const { port } = await startMtlsServer({
      key: serving.privateKeyPem,
      cert: serving.certChainPem,
      ca: ca.rootCertPem(),
    });
    for (const servername of ['meshpilot.istio-system.svc', undefined]) {
      const socket = tls.connect({
        host: LOOPBACK,
        port,
        servername,
        key: client.privateKeyPem,
        cert: client.certChainPem,
        ca: ca.rootCertPem(),
      });
      openSockets.push(socket);
      const [data] = (await once(socket, 'data')) as [Buffer];
      expect(data.toString()).toBe('hello');
    }
    const wrongName = tls.connect({
      host: LOOPBACK,
      port,
      servername: 'other.example',
      key: client.privateKeyPem,
      cert: client.certChainPem,
      ca: ca.rootCertPem(),
    });
    openSockets.push(wrongName);
    const [error] = (await once(wrongName, 'error').catch((reason: unknown) => [reason])) as [Error];
    expect(error.message).toMatch(/other\.example/);
  });
});
