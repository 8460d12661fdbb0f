import * as grpc from '@grpc/grpc-js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, SECRET_TYPE } from '../../protos/type-urls.ts';
import { AdsTestClient, node, type DecodedResponse } from '../support/ads-client.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { applyHelloworld, helloPods, HELLO_ENVOY_CLUSTER, HELLO_NAMESPACE } from '../support/real-mesh-fixture.ts';
import { startRealMeshpilot } from '../support/real-meshpilot.ts';
import { istioctl, startKubeletPortForward, type IstioctlRun, type KubeletPortForward } from './istioctl-run.ts';

/**
 * Istio's own istioctl (built from istio.io/istio at the pinned version) against meshpilot, as an
 * operator runs it against an out-of-cluster istiod: `--xds-address` of meshpilot's TLS port, and the
 * kubeconfig of a real kube-apiserver, from which istioctl gets an `istio-ca` token for
 * istio-system/default that meshpilot checks with TokenReview. A sidecar (a real gRPC ADS client)
 * is connected: it ACKs CDS and LDS, leaves EDS unacknowledged and NACKs RDS.
 */

const POD = 'helloworld-a-0';
const PROXY_ID = `sidecar~10.1.0.1~${POD}.${HELLO_NAMESPACE}~${HELLO_NAMESPACE}.svc.cluster.local`;
const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

function ok(run: IstioctlRun): string {
  if (run.code !== 0) throw new Error(`istioctl exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

describe('real istioctl against meshpilot', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let kube: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let sidecar: AdsTestClient;
  let tls: string[];
  let kubelet: KubeletPortForward;

  const ack = (response: DecodedResponse, names: string[] = []): void =>
    sidecar.send({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: names,
    });

  beforeAll(async () => {
    dir = await tempDir('istioctl');
    [kube] = await startRealKubeClusters(dir.path, [{ name: 'cluster-a' }]);
    await applyHelloworld(kube, 'a', helloPods('a', ['10.1.0.1']));
    // istioctl asks a token for istio-system/default (no controller-manager makes that account).
    await kube.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'istio-system' } },
    ]);
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [{ name: 'cluster-a', kubeconfig: kube.kubeconfigPath }],
      tokenReviewCluster: 'cluster-a',
    });
    // Port-forwards (istioctl's way to an Envoy admin port and to istiod's pod) through the API server to a
    // stand-in kubelet on node-a: istiod's pod leads to meshpilot, the sidecar's admin port to its config dump.
    const admin = new URL(meshpilot.adminUrl);
    const routes = join(dir.path, 'kubelet-routes.json');
    await writeFile(
      routes,
      JSON.stringify({
        'istio-system/istiod-0': { '15014': admin.host, '15012': meshpilot.xdsTlsAddress },
        [`${HELLO_NAMESPACE}/${POD}`]: {
          '15000': `${meshpilot.adminUrl}/debug/?format=proto3&proxyID=${encodeURIComponent(PROXY_ID)}`,
        },
      }),
    );
    kubelet = await startKubeletPortForward(routes);
    // What an Istio install leaves that `x describe` reads: Istio's CRDs and the mesh config ConfigMap.
    await kube.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds]);
    await kube.waitForCrdsEstablished();
    await kube.apply([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: 'istio-system' },
        data: { mesh: 'rootNamespace: istio-system\n' },
      },
    ]);
    await kube.kubectl([
      'patch',
      'node',
      'node-a',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
        },
      }),
    ]);
    await kube.apply([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'istiod-0', namespace: 'istio-system', labels: { app: 'istiod', 'istio.io/rev': 'default' } },
        spec: {
          nodeName: 'node-a',
          containers: [
            { name: 'discovery', image: 'registry.test/meshpilot:latest', ports: [{ containerPort: 15014 }] },
          ],
        },
      },
    ]);
    await kube.kubectl([
      'patch',
      'pod',
      'istiod-0',
      '-n',
      'istio-system',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Running', podIP: '127.0.0.1' } }),
    ]);
    tls = ['--xds-address', meshpilot.xdsTlsAddress, '--kubeconfig', kube.kubeconfigPath, '--timeout', '20s'];

    // The sidecar proves its identity (sample/helloworld) with a service-account token on the TLS port, so it gets SDS.
    const token = (
      await kube.kubectl(['create', 'token', 'helloworld', '-n', HELLO_NAMESPACE, '--audience', 'istio-ca'])
    ).trim();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    sidecar = new AdsTestClient(meshpilot.xdsTlsAddress, 'sotw', {
      credentials: grpc.credentials.createSsl(Buffer.from(meshpilot.rootCertPem)),
      metadata,
    });
    const meta = { CLUSTER_ID: 'cluster-a', NAMESPACE: HELLO_NAMESPACE, ISTIO_VERSION: '1.29.0' };
    sidecar.send({ node: node(PROXY_ID, meta), type_url: CLUSTER_TYPE, resource_names: [] });
    const cds = await sidecar.responses.next();
    ack(cds);
    sidecar.send({ type_url: ENDPOINT_TYPE, resource_names: [HELLO_ENVOY_CLUSTER] });
    expect((await sidecar.responses.next()).names).toContain(HELLO_ENVOY_CLUSTER);
    sidecar.send({ type_url: LISTENER_TYPE, resource_names: [] });
    const lds = await sidecar.responses.next();
    ack(lds);
    sidecar.send({ type_url: SECRET_TYPE, resource_names: ['default', 'ROOTCA'] });
    // ROOTCA comes at once, `default` once its certificate is signed: ACK each answer until both came.
    const secrets = new Set<string>();
    for (let i = 0; i < 5 && secrets.size < 2; i += 1) {
      const sds = await sidecar.responses.next(10_000);
      for (const name of sds.names) secrets.add(name);
      ack(sds, ['default', 'ROOTCA']);
    }
    expect([...secrets].sort()).toEqual(['ROOTCA', 'default']);
    sidecar.send({ type_url: ROUTE_TYPE, resource_names: ['5000'] });
    const rds = await sidecar.responses.next();
    sidecar.send({
      type_url: ROUTE_TYPE,
      response_nonce: rds.nonce,
      resource_names: ['5000'],
      error_detail: { code: 3, message: 'route 5000 rejected by the test' },
    });
    expect(await sidecar.responses.quiet(300)).toBe(true);
  }, 300_000);

  afterAll(async () => {
    sidecar?.close();
    kubelet?.stop();
    await meshpilot?.stop();
    await kube?.stop();
    await dir?.remove();
  }, 60_000);

  it('proxy-status lists the sidecar with its kube cluster, version and subscribed types', async () => {
    const out = ok(await istioctl(['proxy-status', ...tls], dir.path));
    const [header, ...rows] = out.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'CLUSTER', 'ISTIOD', 'VERSION', 'SUBSCRIBED TYPES']);
    // Only the sidecar: istioctl's own stream is not a proxy.
    expect(rows).toHaveLength(1);
    const cells = rows[0]!.split(/\s{2,}/);
    expect(cells[0]).toBe(PROXY_ID);
    expect(cells[1]).toBe('cluster-a');
    expect(cells[2]).toMatch(/^meshpilot@/);
    expect(cells[3]).toBe('1.29.0');
    expect(cells[4]).toBe('5 (CDS,LDS,EDS,RDS,SDS)');
  });

  it('proxy-status -o json carries each type as SYNCED, STALE or ERROR with the NACK', async () => {
    const out = ok(await istioctl(['proxy-status', ...tls, '-o', 'json'], dir.path));
    const response = JSON.parse(out) as {
      controlPlane: { identifier: string };
      resources: {
        '@type': string;
        node: { id: string; metadata: Record<string, string> };
        genericXdsConfigs: { typeUrl: string; configStatus?: string; errorState?: { details: string } }[];
      }[];
    };
    expect(JSON.parse(response.controlPlane.identifier)).toMatchObject({ Component: 'meshpilot' });
    const [proxy] = response.resources;
    expect(proxy?.['@type']).toBe('type.googleapis.com/envoy.service.status.v3.ClientConfig');
    expect(proxy?.node).toEqual({
      id: PROXY_ID,
      metadata: { CLUSTER_ID: 'cluster-a', NAMESPACE: HELLO_NAMESPACE, ISTIO_VERSION: '1.29.0' },
    });
    const status = Object.fromEntries(proxy!.genericXdsConfigs.map((c) => [c.typeUrl, c.configStatus]));
    expect(status).toEqual({
      [CLUSTER_TYPE]: 'SYNCED',
      [LISTENER_TYPE]: 'SYNCED',
      [ENDPOINT_TYPE]: 'STALE',
      [ROUTE_TYPE]: 'ERROR',
      [SECRET_TYPE]: 'SYNCED',
    });
    const nacked = proxy!.genericXdsConfigs.find((c) => c.typeUrl === ROUTE_TYPE);
    expect(nacked?.errorState?.details).toBe('route 5000 rejected by the test');
  });

  it('proxy-status <pod> compares the config dump meshpilot serves over ADS with the proxy’s', async () => {
    const dump = (await (
      await fetch(`${meshpilot.adminUrl}/debug/config_dump?format=proto3&proxyID=${encodeURIComponent(PROXY_ID)}`)
    ).json()) as { configs: { '@type': string; dynamic_active_clusters?: unknown[] }[] };
    const same = join(dir.path, 'same.json');
    await writeFile(same, JSON.stringify(dump));
    const matched = ok(await istioctl(['proxy-status', `${POD}.${HELLO_NAMESPACE}`, ...tls, '--file', same], dir.path));
    expect(matched).toContain('Clusters Match');
    expect(matched).toContain('Listeners Match');

    // The "proxy" holds one cluster less than meshpilot sent: istioctl shows the difference.
    const fewer = structuredClone(dump);
    const clusters = fewer.configs.find((c) => c['@type'].endsWith('ClustersConfigDump'));
    clusters!.dynamic_active_clusters = clusters!.dynamic_active_clusters!.slice(1);
    const differs = join(dir.path, 'differs.json');
    await writeFile(differs, JSON.stringify(fewer));
    const diff = ok(await istioctl(['proxy-status', `${POD}.${HELLO_NAMESPACE}`, ...tls, '--file', differs], dir.path));
    expect(diff).toContain("Clusters Don't Match");
    expect(diff).toContain('Listeners Match');
  });

  it('proxy-config cluster|listener|route|secret -f read the config dump meshpilot keeps of the proxy', async () => {
    const dump = join(dir.path, 'dump.json');
    const answer = await fetch(
      `${meshpilot.adminUrl}/debug/config_dump?format=proto3&proxyID=${encodeURIComponent(PROXY_ID)}`,
    );
    await writeFile(dump, await answer.text());
    const table = async (kind: string): Promise<string[][]> =>
      ok(await istioctl(['proxy-config', kind, '-f', dump], dir.path))
        .trim()
        .split('\n')
        .map((line) => line.split(/\s{2,}/));
    const clusters = await table('cluster');
    expect(clusters[0]).toEqual(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']);
    expect(clusters).toContainEqual(['helloworld.sample.svc.cluster.local', '5000', '-', 'outbound', 'EDS', '']);
    expect(clusters).toContainEqual(['PassthroughCluster', '-', '-', '-', 'ORIGINAL_DST', '']);
    const listeners = await table('listener');
    expect(listeners[0]).toEqual(['ADDRESSES PORT', 'MATCH', 'DESTINATION']);
    expect(listeners).toContainEqual(['0.0.0.0', '5000', 'ALL', 'Route: 5000']);
    const routes = await table('route');
    expect(routes[0]).toEqual(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']);
    expect(routes[1]?.slice(0, 2)).toEqual(['5000', 'helloworld.sample.svc.cluster.local:5000']);
    // Certificates as Envoy shows them (istioctl parses each chain); private keys redacted as Envoy does.
    const secrets = await table('secret');
    expect(secrets[0]?.slice(0, 4)).toEqual(['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT']);
    expect(secrets.slice(1).map((row) => row.slice(0, 4))).toEqual([
      ['default', 'Cert Chain', 'ACTIVE', 'true'],
      ['ROOTCA', 'CA', 'ACTIVE', 'true'],
    ]);
    const parsed = JSON.parse(await readFile(dump, 'utf8')) as {
      configs: { dynamic_active_secrets?: { name: string; secret: { tls_certificate?: unknown } }[] }[];
    };
    const secret = parsed.configs.flatMap((c) => c.dynamic_active_secrets ?? []).find((s) => s.name === 'default');
    expect(secret?.secret.tls_certificate).toMatchObject({
      private_key: { inline_bytes: Buffer.from('[redacted]').toString('base64') },
    });
  });

  it('remote-clusters reads /debug/clusterz through a port-forward to the istiod pod', async () => {
    const out = ok(await istioctl(['remote-clusters', '--kubeconfig', kube.kubeconfigPath], dir.path));
    const rows = out
      .trim()
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'SECRET', 'STATUS', 'ISTIOD', 'REVISION']);
    expect(rows.slice(1)).toEqual([['cluster-a', 'synced', 'istiod-0', 'default']]);
  });

  it('proxy-config <pod> and proxy-status <pod> reach the proxy’s admin port through a port-forward', async () => {
    const kubeArgs = ['--kubeconfig', kube.kubeconfigPath];
    const clusters = ok(
      await istioctl(['proxy-config', 'cluster', `${POD}.${HELLO_NAMESPACE}`, ...kubeArgs], dir.path),
    );
    expect(clusters).toMatch(/helloworld\.sample\.svc\.cluster\.local\s+5000\s+-\s+outbound\s+EDS/);
    const routes = ok(await istioctl(['proxy-config', 'route', `${POD}.${HELLO_NAMESPACE}`, ...kubeArgs], dir.path));
    expect(routes).toMatch(/^5000\s+helloworld\.sample\.svc\.cluster\.local:5000/m);
    const endpoints = ok(
      await istioctl(['proxy-config', 'endpoint', `${POD}.${HELLO_NAMESPACE}`, ...kubeArgs], dir.path),
    );
    expect(endpoints).toMatch(/^ENDPOINT\s+STATUS\s+OUTLIER CHECK\s+CLUSTER$/m);
    expect(endpoints).toMatch(
      /^10\.1\.0\.1:5000\s+HEALTHY\s+OK\s+outbound\|5000\|\|helloworld\.sample\.svc\.cluster\.local$/m,
    );
    const diff = ok(await istioctl(['proxy-status', `${POD}.${HELLO_NAMESPACE}`, ...tls], dir.path));
    expect(diff).toContain('Clusters Match');
    expect(diff).toContain('Listeners Match');
  });

  it('x describe pod reads the pod and its services, the config dump through a port-forward, and the mesh config', async () => {
    const run = await istioctl(
      ['x', 'describe', 'pod', `${POD}.${HELLO_NAMESPACE}`, '--kubeconfig', kube.kubeconfigPath],
      dir.path,
    );
    const out = ok(run);
    expect(out).toMatch(/^Pod: helloworld-a-0\.sample$/m);
    expect(out).toMatch(/^Service: helloworld\.sample\n\s+Port: grpc 5000\/GRPC targets pod port 5000$/m);
    expect(out).toMatch(/^Effective PeerAuthentication:\n\s+Workload mTLS mode: PERMISSIVE$/m);
  });

  it('the plaintext port refuses debug types to an unauthenticated caller, as istiod', async () => {
    const run = await istioctl(
      ['proxy-status', '--xds-address', meshpilot.xdsAddress, '--plaintext', '--kubeconfig', kube.kubeconfigPath],
      dir.path,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/authentication required/);
  });
});
