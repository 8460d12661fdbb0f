/**
 * Hostname gateways against Istio's own pilot (issue #15 point 1): the corpus mesh gateways-from-services,
 * copied with its c1 gateway's LoadBalancer ingress given as a hostname and, instead of c3's gateway
 * Services, a meshNetworks gateway of n3 given as a hostname, both resolved through a real DNS server on loopback (dns2) that meshpilot.yaml's
 * gatewayDns.servers names. The oracle points Istio's gateway name cache at the same server
 * (model.NetworkGatewayTestDNSServers), so both resolve the same A and AAAA records; every difference
 * must be a row of divergences.yaml, as in the corpus suite. Not in the corpus itself: the corpus meshes
 * are static folders, and this one needs the DNS server running.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startTestDnsServer, type TestDnsServer } from '../support/test-dns-server.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import type { MeshAnswer } from './answer.ts';
import { compareAnswers, type Difference } from './compare.ts';
import { CORPUS_DIR, DIVERGENCES_FILE } from './corpus.ts';
import { loadDivergences, matches } from './divergences.ts';
import { istioAnswer } from './istio-answer.ts';
import { meshpilotAnswer, readProbes } from './meshpilot-answer.ts';

const N1_HOSTNAME = 'gw-n1.oracle.test';
const N3_HOSTNAME = 'gw-n3.oracle.test';

describe("hostname gateways resolved with DNS, against Istio's own pilot", () => {
  let dns: TestDnsServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: string;
  let probes: string;

  beforeAll(async () => {
    dns = await startTestDnsServer();
    dns.set(N1_HOSTNAME, { a: ['192.168.1.1', '192.168.1.11'], aaaa: ['fd00:1::1'], ttl: 300 });
    dns.set(N3_HOSTNAME, { a: ['192.168.3.7'], ttl: 300 });
    dir = await tempDir('oracle-hostname-gateways');
    await cp(join(CORPUS_DIR, 'gateways-from-services'), dir.path, { recursive: true });
    config = join(dir.path, 'meshpilot.yaml');
    probes = join(dir.path, 'probes.json');
    const gateways = join(dir.path, 'c1', 'gateways.yaml');
    const text = await readFile(gateways, 'utf8');
    if (!text.includes('- ip: "192.168.1.1"')) throw new Error(`${gateways}: the ingress IP to replace is gone`);
    await writeFile(gateways, text.replace('- ip: "192.168.1.1"', `- hostname: ${N1_HOSTNAME}`));
    await rm(join(dir.path, 'c3', 'gateways.yaml'));
    const mesh = parse(await readFile(config, 'utf8')) as Record<string, unknown>;
    mesh.gatewayDns = { servers: [dns.address], timeoutMs: 2_000 };
    mesh.meshNetworks = { networks: { n3: { endpoints: [], gateways: [{ address: N3_HOSTNAME, port: 15443 }] } } };
    await writeFile(config, stringify(mesh));
  });

  afterAll(async () => {
    await dns?.close();
    await dir?.remove();
  });

  it('gives the same endpoints as Istio: a gateway per resolved address of the proxy’s family', async () => {
    const [istio, meshpilot]: [MeshAnswer, MeshAnswer] = await Promise.all([
      istioAnswer(config, probes),
      meshpilotAnswer(config, await readProbes(probes)),
    ]);
    expect(istio.errors ?? []).toEqual([]);
    // Both resolved the names (the answers would also agree if neither had).
    const edsOf = (answer: MeshAnswer): string => JSON.stringify(answer.probes['sidecar-c2']?.eds ?? []);
    for (const answer of [istio, meshpilot]) {
      expect(edsOf(answer)).toContain('"192.168.1.11"');
      expect(edsOf(answer)).toContain('"192.168.3.7"');
      expect(edsOf(answer)).not.toContain('fd00:1::1');
    }
    expect(dns.queries(N1_HOSTNAME)).toBeGreaterThanOrEqual(4);
    const rows = loadDivergences(DIVERGENCES_FILE);
    const differences: Difference[] = compareAnswers('hostname-gateways', istio, meshpilot).flatMap(
      (r) => r.differences,
    );
    const unexplained = differences.filter((d) => !rows.some((row) => matches(row, d)));
    expect(unexplained.map((d) => `${d.probe} ${d.type} ${d.resource} ${d.path}: ${d.status}`)).toEqual([]);
    // Sidecars' EDS is Istio's exactly (proxyless gRPC probes differ by the corpus's eds-grpc-* rows).
    const sidecarEds = differences.filter((d) => d.type === 'eds' && d.probe.startsWith('sidecar'));
    expect(sidecarEds.map((d) => `${d.probe} ${d.resource} ${d.path}: ${d.status}`)).toEqual([]);
  }, 240_000);
});
