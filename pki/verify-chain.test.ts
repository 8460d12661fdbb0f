import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority } from '../server/security/ca.ts';
import {
  createTestIntermediate,
  createTestRoot,
  fakeClock,
  makeTempDir,
  sec1KeyPem,
  writePluginFiles,
  type FakeClock,
  type TestCa,
} from './test-support.ts';
import { decodePemBlocks } from './pem.ts';

const NOW = Date.parse('2031-03-04T05:06:07.000Z');
const HOUR = 3_600_000;
const cleanups: Array<() => Promise<void>> = [];
let time: FakeClock;
let clusterA: CertificateAuthority;
let clusterB: CertificateAuthority;
let otherTrustDomain: CertificateAuthority;
let unrelated: CertificateAuthority;

async function pluginCa(root: TestCa, name: string, trustDomain: string): Promise<CertificateAuthority> {
  const { dir, cleanup } = await makeTempDir();
  cleanups.push(cleanup);
  const intermediate = await createTestIntermediate(name, root, NOW);
  await writePluginFiles(dir, {
    'ca-cert.pem': intermediate.pem,
    'ca-key.pem': await sec1KeyPem(intermediate.keys.privateKey),
    'root-cert.pem': root.pem,
    'cert-chain.pem': intermediate.pem + root.pem,
  });
  return loadOrCreateCa({ dir, trustDomain, clock: time.clock });
}

beforeAll(async () => {
  time = fakeClock(NOW);
  const sharedRoot = await createTestRoot('shared root', NOW);
  clusterA = await pluginCa(sharedRoot, 'cluster-a', 'cluster.local');
  clusterB = await pluginCa(sharedRoot, 'cluster-b', 'cluster.local');
  otherTrustDomain = await pluginCa(sharedRoot, 'cluster-c', 'other.local');
  const { dir, cleanup } = await makeTempDir();
  cleanups.push(cleanup);
  unrelated = await loadOrCreateCa({ dir, trustDomain: 'cluster.local', clock: time.clock });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function leafOnly(chainPem: string): string {
  return chainPem.slice(0, chainPem.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----\n'.length);
}

describe('verifyWorkloadChain', () => {
  it('authenticates its own leaf, with or without the intermediate, as PEM or DER', async () => {
    time.set(NOW);
    const issued = await clusterA.issueWorkloadCertificate({
      namespace: 'bookinfo',
      serviceAccount: 'ratings',
      ttlMs: HOUR,
    });
    const expected = {
      ok: true,
      spiffeId: 'spiffe://cluster.local/ns/bookinfo/sa/ratings',
      trustDomain: 'cluster.local',
      namespace: 'bookinfo',
      serviceAccount: 'ratings',
    };
    expect(await clusterA.verifyWorkloadChain(issued.certChainPem)).toEqual(expected);
    expect(await clusterA.verifyWorkloadChain(leafOnly(issued.certChainPem))).toEqual(expected);
    const blocks = decodePemBlocks(issued.certChainPem);
    if (!blocks.ok) throw new Error('chain must decode');
    expect(await clusterA.verifyWorkloadChain(blocks.value.map((block) => block.der))).toEqual(expected);
  });

  it('authenticates a workload of another cluster under the shared root when its intermediate is presented', async () => {
    time.set(NOW);
    const issued = await clusterB.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'helloworld' });
    expect(await clusterA.verifyWorkloadChain(issued.certChainPem)).toMatchObject({ ok: true, namespace: 'default' });
    const alone = await clusterA.verifyWorkloadChain(leafOnly(issued.certChainPem));
    expect(alone).toMatchObject({ ok: false, code: 'MESHPILOT_ERR_PEER_UNKNOWN_ISSUER' });
    expect(!alone.ok && alone.error).toContain('CN=cluster-b');
  });

  it('rejects a chain from an unrelated CA, naming its issuer', async () => {
    time.set(NOW);
    const issued = await unrelated.issueWorkloadCertificate({ namespace: 'default', serviceAccount: 'helloworld' });
    const result = await clusterA.verifyWorkloadChain(issued.certChainPem);
    expect(result).toMatchObject({ ok: false, code: 'MESHPILOT_ERR_PEER_UNKNOWN_ISSUER' });
    expect(!result.ok && result.error).toContain('meshpilot root CA');
  });

  it('rejects expired and not-yet-valid certificates by the injected clock', async () => {
    time.set(NOW);
    const issued = await clusterA.issueWorkloadCertificate({ namespace: 'ns', serviceAccount: 'sa', ttlMs: HOUR });
    time.set(issued.notAfter.getTime());
    expect(await clusterA.verifyWorkloadChain(issued.certChainPem)).toMatchObject({ ok: true });
    time.set(issued.notAfter.getTime() + 1000);
    const expired = await clusterA.verifyWorkloadChain(issued.certChainPem);
    expect(expired).toMatchObject({ ok: false, code: 'MESHPILOT_ERR_PEER_CERT_EXPIRED' });
    expect(!expired.ok && expired.error).toContain(issued.notAfter.toISOString());
    time.set(issued.notBefore.getTime() - 1000);
    expect(await clusterA.verifyWorkloadChain(issued.certChainPem)).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_CERT_NOT_YET_VALID',
    });
  });

  it('rejects certificates without a SPIFFE id or in another trust domain', async () => {
    time.set(NOW);
    const serving = await clusterA.issueServingCertificate({ dnsNames: ['meshpilot.example'] });
    expect(await clusterA.verifyWorkloadChain(serving.certChainPem)).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_NO_SPIFFE_ID',
    });
    const foreignDomain = await otherTrustDomain.issueWorkloadCertificate({
      namespace: 'default',
      serviceAccount: 'helloworld',
    });
    const result = await clusterA.verifyWorkloadChain(foreignDomain.certChainPem);
    expect(result).toMatchObject({ ok: false, code: 'MESHPILOT_ERR_PEER_TRUST_DOMAIN' });
    expect(!result.ok && result.error).toContain('"other.local"');
  });

  it('rejects malformed input and CA certificates posing as leaves', async () => {
    expect(await clusterA.verifyWorkloadChain('not pem')).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_CHAIN_INVALID',
    });
    expect(await clusterA.verifyWorkloadChain([])).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_CHAIN_INVALID',
    });
    expect(await clusterA.verifyWorkloadChain([new Uint8Array([1, 2, 3])])).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_CHAIN_INVALID',
    });
    expect(await clusterA.verifyWorkloadChain(clusterA.rootCertPem())).toMatchObject({
      ok: false,
      code: 'MESHPILOT_ERR_PEER_CHAIN_INVALID',
    });
  });
});
