import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../../server/security/ca.ts';
import { tempDir, writeCluster } from '../support/mesh-fixture.ts';
import { startTestMeshpilot } from '../support/meshpilot-process.ts';
import { haproxyConfig } from './haproxy-config.ts';
import { canConnect, createNetns, NET, netnsUnavailable, spawnIn, type Netns } from './netns.ts';
import { fetchXds, firstLine, type Xds } from './xds-fetch.ts';

/**
 * Issue 19 point 6: cross-network traffic for real. Two networks as Linux network namespaces created by the test
 * (nothing routes between them) and an east-west gateway host attached to both, running Debian's HAProxy configured
 * from what meshpilot serves the gateway (router, sni-dnat: the AUTO_PASSTHROUGH listener, its clusters, endpoints).
 * A client in network A uses what meshpilot serves its sidecar (the Cluster's SNI and SAN, the EDS endpoint, which
 * split horizon makes the gateway) and reaches the mTLS backend in network B only through the gateway, by SNI.
 *
 * Not covered here (see the README): a gRPC xDS client doing this by itself. grpc-go (GRPC_EXPERIMENTAL_XDS_SNI) and
 * grpc-java read UpstreamTlsContext.sni, but Istio, and so meshpilot, sends proxyless clients no SNI; the client here is the
 * data path of an Envoy sidecar, driven by the sidecar's xDS. Failover under load is failover.test.ts.
 */
const unavailable = netnsUnavailable();
const haproxyMissing = (() => {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return "haproxy is not installed (.ci/run installs Debian's haproxy)";
  }
})();
if (unavailable) console.warn(`cross-network test skipped: ${unavailable}`);

const NS = 'cross';
const GREETER = `greeter.${NS}.svc.cluster.local`;
const GREETER_CLUSTER = `outbound|5000||${GREETER}`;
const CLIENT_SPIFFE = `spiffe://cluster.local/ns/${NS}/sa/client`;
const ISTIO_MTLS = { 'security.istio.io/tlsMode': 'istio' };
const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe.skipIf(unavailable !== undefined)(
  'cross-network traffic through an SNI-routing HAProxy gateway (netns)',
  () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let netns: Netns;
    let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
    const children: ChildProcess[] = [];
    let files: Record<'clientCert' | 'clientKey' | 'serverCert' | 'serverKey' | 'root', string>;
    let sidecar: Xds;
    let gateway: Xds;
    let haproxyText = '';

    const runClient = async (host: string, port: number, sni: string, san: string, count: number) => {
      const child = spawnIn(netns.a, process.execPath, [
        '--import',
        tsxLoader,
        join(here, 'sni-client.ts'),
        host,
        String(port),
        sni,
        san,
        files.clientCert,
        files.clientKey,
        files.root,
        String(count),
      ]);
      children.push(child);
      return JSON.parse(await firstLine(child, 'sni-client', 60_000)) as {
        byServer: Record<string, number>;
        peers: string[];
        failures: number;
        errors: string[];
      };
    };

    beforeAll(async () => {
      if (haproxyMissing) throw new Error(haproxyMissing);
      dir = await tempDir('cross-network');
      netns = createNetns();
      const ca = await loadOrCreateCa({ dir: join(dir.path, 'ca'), trustDomain: 'cluster.local' });
      const client = await ca.issueWorkloadCertificate({ namespace: NS, serviceAccount: 'client' });
      const server = await ca.issueWorkloadCertificate({ namespace: NS, serviceAccount: 'greeter' });
      files = {
        clientCert: join(dir.path, 'client.pem'),
        clientKey: join(dir.path, 'client-key.pem'),
        serverCert: join(dir.path, 'greeter.pem'),
        serverKey: join(dir.path, 'greeter-key.pem'),
        root: join(dir.path, 'root.pem'),
      };
      await writeFile(files.clientCert, client.certChainPem);
      await writeFile(files.clientKey, client.privateKeyPem, { mode: 0o600 });
      await writeFile(files.serverCert, server.certChainPem);
      await writeFile(files.serverKey, server.privateKeyPem, { mode: 0o600 });
      await writeFile(files.root, ca.rootCertPem());

      await writeCluster(join(dir.path, 'cluster-a'), [
        {
          name: 'client',
          namespace: NS,
          port: 7000,
          clusterIP: '10.96.0.31',
          endpoints: [{ ip: NET.client, labels: ISTIO_MTLS }],
        },
      ]);
      await writeCluster(join(dir.path, 'cluster-b'), [
        {
          name: 'greeter',
          namespace: NS,
          port: 5000,
          clusterIP: '10.96.0.30',
          endpoints: [{ ip: NET.remoteBackend, pod: 'greeter-b-0', labels: ISTIO_MTLS }],
        },
      ]);
      meshpilot = await startTestMeshpilot(dir.path, {
        clusters: [
          { name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'cluster-a') },
          { name: 'cluster-b', network: 'net-b', manifests: join(dir.path, 'cluster-b') },
        ],
        meshNetworks: {
          networks: {
            'net-a': { endpoints: [{ fromRegistry: 'cluster-a' }], gateways: [] },
            'net-b': {
              endpoints: [{ fromRegistry: 'cluster-b' }],
              gateways: [{ address: NET.gatewayOnA, port: 15443 }],
            },
          },
        },
      });
      sidecar = await fetchXds(meshpilot.xdsAddress, `sidecar~${NET.client}~client-0.${NS}~${NS}.svc.cluster.local`, {
        CLUSTER_ID: 'cluster-a',
        NETWORK: 'net-a',
      });
      gateway = await fetchXds(
        meshpilot.xdsAddress,
        `router~${NET.gatewayOnB}~eastwest-0.istio-system~istio-system.svc.cluster.local`,
        { CLUSTER_ID: 'cluster-b', NETWORK: 'net-b', ROUTER_MODE: 'sni-dnat' },
      );

      const cfg = join(dir.path, 'haproxy.cfg');
      haproxyText = haproxyConfig(gateway.listeners, gateway.clusters, gateway.assignments);
      await writeFile(cfg, haproxyText);
      execFileSync('haproxy', ['-c', '-q', '-f', cfg], { timeout: 10_000 });
      children.push(spawnIn(netns.gw, 'haproxy', ['-db', '-f', cfg]));
      const backend = spawnIn(netns.b, process.execPath, [
        '--import',
        tsxLoader,
        join(here, 'tls-backend.ts'),
        NET.remoteBackend,
        '5000',
        'greeter-b-0',
        files.serverCert,
        files.serverKey,
        files.root,
      ]);
      children.push(backend);
      await firstLine(backend, 'tls-backend');
      for (let i = 0; i < 50 && !canConnect(netns.a, NET.gatewayOnA, 15443); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 100));
    }, 120_000);

    afterAll(async () => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
      await meshpilot?.stop();
      netns?.remove();
      await dir?.remove();
    });

    it('the networks are apart: network A reaches the gateway, not the backend in network B', () => {
      expect(canConnect(netns.a, NET.gatewayOnA, 15443)).toBe(true);
      expect(canConnect(netns.a, NET.remoteBackend, 5000)).toBe(false);
      expect(canConnect(netns.b, NET.remoteBackend, 5000)).toBe(true);
    });

    it("the gateway's HAProxy config comes from meshpilot's router listener, cluster and endpoints", () => {
      expect(haproxyText).toContain('bind 0.0.0.0:15443');
      expect(haproxyText).toMatch(
        new RegExp(`use_backend b\\d+ if \\{ req.ssl_sni -i outbound_.5000_._.${GREETER} \\}`),
      );
      expect(haproxyText).toContain(`server e0 ${NET.remoteBackend}:5000`);
    });

    it("meshpilot sends network A's sidecar the gateway as the endpoint of the remote service (split horizon)", () => {
      const assignment = sidecar.assignments.find((a) => a.cluster_name === GREETER_CLUSTER);
      const text = JSON.stringify(assignment);
      expect(text).toContain(`"address":"${NET.gatewayOnA}"`);
      expect(text).toContain('"port_value":15443');
      expect(text).not.toContain(NET.remoteBackend);
    });

    it('a client in network A reaches the backend in network B through the gateway, by SNI, with mTLS', async () => {
      const cluster = sidecar.clusters.find((c) => c.name === GREETER_CLUSTER);
      const sni = /"sni":"([^"]+)"/.exec(JSON.stringify(cluster))?.[1];
      const san = /"exact":"(spiffe:[^"]+)"/.exec(JSON.stringify(cluster))?.[1];
      expect(sni).toBe(`outbound_.5000_._.${GREETER}`);
      expect(san).toBe(`spiffe://cluster.local/ns/${NS}/sa/greeter`);
      const result = await runClient(NET.gatewayOnA, 15443, sni!, san!, 20);
      expect(result, JSON.stringify(result.errors)).toMatchObject({ failures: 0, byServer: { 'greeter-b-0': 20 } });
      expect(result.peers).toEqual([`URI:${CLIENT_SPIFFE}`]);
    });

    it('the gateway routes by SNI only to what meshpilot listed: an unknown SNI gets nowhere', async () => {
      const result = await runClient(
        NET.gatewayOnA,
        15443,
        `outbound_.5000_._.nope.${NS}.svc.cluster.local`,
        'spiffe://x',
        2,
      );
      expect(result.failures).toBe(2);
    });
  },
);
