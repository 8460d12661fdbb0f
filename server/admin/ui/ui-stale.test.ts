import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node } from '../../../e2e/support/ads-client.ts';
import {
  cellsOf,
  CHROMIUM,
  haveChromium,
  openChromium,
  SCREENSHOT_DIR,
  type ChromiumPage,
} from '../../../e2e/support/chromium-page.ts';
import { startTestMeshpilot } from '../../../e2e/support/meshpilot-process.ts';
import { tempDir, writeCluster } from '../../../e2e/support/mesh-fixture.ts';
import { startRealKubeClusters, type RealKubeCluster } from '../../../e2e/support/real-kube-cluster.ts';
import { applyHelloworld, helloPods, HELLO_NAMESPACE } from '../../../e2e/support/real-mesh-fixture.ts';
import { CLUSTER_TYPE } from '../../../protos/type-urls.ts';

// The /ui parts issue 18 point 2 adds beside the mesh map: the path picture for a chosen proxy and service
// (direct, through which gateway, not sent; priorities), the stale-data panel of an unreachable kube cluster
// (a real kube-apiserver, stopped), and point 6's mark on proxies whose CLUSTER_ID / NETWORK is unknown.

const PROXY = 'sidecar~127.0.0.9~client-0.sample~sample.svc.cluster.local';
const STRAY = 'sidecar~127.0.0.31~stray-0.sample~sample.svc.cluster.local';
const HELLO = `helloworld.${HELLO_NAMESPACE}.svc.cluster.local`;
const GATEWAY_C = '192.168.3.10:15443';

if (!haveChromium)
  console.warn(`/ui stale-data browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!haveChromium)('/ui paths, stale data and unknown proxies in chromium', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let kube: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let browser: ChromiumPage;
  let page: Page;
  let pageProblems: string[];
  const clients: AdsTestClient[] = [];

  const picture = (): Locator => page.getByRole('img', { name: `Paths from ${PROXY} to ${HELLO}` });
  const endpointBox = (address: string): Locator => picture().locator(`g.path-box[data-endpoint="${address}"]`);

  beforeAll(async () => {
    dir = await tempDir('ui-stale');
    [kube] = await startRealKubeClusters(dir.path, [{ name: 'cluster-c' }]);
    // Two pods in cluster-c: one in the mesh (tlsMode istio: reached through net-c's gateway), one not
    // (no sidecar: it cannot cross networks, so a proxy of net-a is not sent it).
    await applyHelloworld(kube, 'c', helloPods('c', ['10.3.0.1', '10.3.0.2']));
    await kube.kubectl(['label', 'pod', 'helloworld-c-0', '-n', HELLO_NAMESPACE, 'security.istio.io/tlsMode=istio']);
    await writeCluster(join(dir.path, 'a'), [
      {
        name: 'helloworld',
        namespace: HELLO_NAMESPACE,
        port: 5000,
        endpoints: [{ ip: '127.0.0.2', labels: { 'security.istio.io/tlsMode': 'istio' } }],
      },
    ]);
    meshpilot = await startTestMeshpilot(dir.path, {
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'a') },
        { name: 'cluster-c', network: 'net-c', kubeconfig: kube.kubeconfigPath },
      ],
      meshNetworks: {
        networks: {
          'net-c': { endpoints: [{ fromRegistry: 'cluster-c' }], gateways: [{ address: '192.168.3.10', port: 15443 }] },
        },
      },
    });
    for (const [id, metadata] of [
      [PROXY, { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' }],
      [STRAY, { CLUSTER_ID: 'cluster-x', NETWORK: 'net-z' }],
    ] as const) {
      const client = new AdsTestClient(meshpilot.xdsAddress);
      clients.push(client);
      client.send({ node: node(id, metadata), type_url: CLUSTER_TYPE, resource_names: [] });
      expect((await client.responses.next()).type_url).toBe(CLUSTER_TYPE);
    }

    browser = await openChromium('ui-stale');
    ({ page, problems: pageProblems } = browser);
    await page.goto(`${meshpilot.adminUrl}/ui?refresh=1`);
    await page.getByLabel('Proxy', { exact: true }).selectOption(PROXY);
    await page.getByLabel('Service', { exact: true }).selectOption(HELLO);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const client of clients) client.close();
    await meshpilot?.stop();
    await kube?.stop();
    await dir?.remove();
  });

  it('draws each endpoint’s path: direct, through the gateway of its network, or not sent', async () => {
    await picture().waitFor();
    expect(await endpointBox('127.0.0.2:5000').getAttribute('data-outcome')).toBe('local');
    expect(await endpointBox('10.3.0.1:5000').getAttribute('data-outcome')).toBe('via-gateway');
    expect(await endpointBox('10.3.0.1:5000').getAttribute('data-via')).toBe(GATEWAY_C);
    expect(await endpointBox('10.3.0.2:5000').getAttribute('data-outcome')).toBe('dropped');
    expect(await endpointBox('10.3.0.2:5000').locator('text').allTextContents()).toEqual([
      '10.3.0.2:5000',
      'cluster-c · network net-c · not sent',
    ]);
    // Why it is not sent, from explain: it cannot do mTLS, so it does not cross to net-c.
    expect(await endpointBox('10.3.0.2:5000').locator('title').textContent()).toMatch(/mTLS|tlsMode/);
    const from = async (to: string): Promise<string[]> =>
      picture()
        .locator(`path.hop[data-to="${to}"]`)
        .evaluateAll((paths) => paths.map((p) => p.getAttribute('data-from') ?? ''));
    expect(await from('127.0.0.2:5000')).toEqual(['proxy']);
    expect(await from('10.3.0.1:5000')).toEqual([GATEWAY_C]);
    expect(await from(GATEWAY_C)).toEqual(['proxy']);
    expect(await from('10.3.0.2:5000')).toEqual([]);
    expect(await picture().locator('text.dropped-mark').count()).toBe(1);
    expect(await picture().locator('[data-stale]').count()).toBe(0);
    await expect.poll(() => page.locator('#stale').innerText()).toMatch(/^Every kube cluster is reachable/);
  });

  it('marks the proxy whose CLUSTER_ID and NETWORK are unknown, in the mesh map and the proxies table', async () => {
    const stray = page.getByRole('list', { name: 'proxies of no known kube cluster' }).getByRole('listitem');
    await stray.first().waitFor();
    expect((await stray.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      'stray-0.sample STALE unknown kube cluster cluster-x unknown network net-z',
    ]);
    const proxies = page.getByRole('table', { name: 'Connected proxies' });
    // The page is rebuilt every second (refresh=1): a row caught while it is replaced reads as its bare text
    // (innerText without layout, no line break before the reason), so it is read again (bounded by expect.poll).
    const cellOf = (index: number) => async () => (await cellsOf(proxies, STRAY))[index];
    await expect
      .poll(cellOf(1))
      .toMatch(/^cluster-x unknown\s+CLUSTER_ID "cluster-x" matches no kube cluster \(known: cluster-a, cluster-c\)$/);
    await expect
      .poll(cellOf(2))
      .toMatch(/^net-z unknown\s+NETWORK "net-z" matches no network \(known: net-a, net-c\)$/);
    const good = await cellsOf(proxies, PROXY);
    expect(good.slice(1, 3)).toEqual(['cluster-a', 'net-a']);
  });

  it('lists an unreachable kube cluster’s stale endpoints, and draws its endpoints’ paths stale', async () => {
    await kube.stopApiServer();
    const panel = page.getByRole('table', { name: 'Stale data from unreachable kube clusters' });
    await panel.waitFor({ timeout: 60_000 });
    const row = await cellsOf(panel, 'cluster-c');
    expect(row[0]).toBe('cluster-c');
    expect(row[1]).toBe('net-c');
    expect(row[2]).not.toBe('—');
    expect(row[3]).toMatch(/^cluster-c: (list|watch) [A-Za-z]+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(await panel.getByRole('list', { name: 'stale endpoints of cluster-c' }).innerText()).toBe(
      `${HELLO} 2 endpoint(s)`,
    );
    // The map says it too, on the kube cluster's card.
    const card = page.getByRole('article', { name: 'kube cluster cluster-c' });
    expect(await card.getAttribute('data-state')).toBe('unreachable');
    expect(await card.getByRole('note').innerText()).toMatch(
      /^Stale: unreachable since .*last-known endpoints are still served/,
    );
    // Its endpoint is still sent (policy keep), and drawn stale, as the hop to it.
    await expect.poll(() => endpointBox('10.3.0.1:5000').getAttribute('data-stale'), { timeout: 10_000 }).toBe('true');
    expect(await endpointBox('10.3.0.1:5000').getAttribute('data-outcome')).toBe('via-gateway');
    expect(await picture().locator('path.hop.stale').count()).toBe(1);
    expect(await endpointBox('127.0.0.2:5000').getAttribute('data-stale')).toBeNull();

    await page.getByLabel(/Auto-refresh/).uncheck();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.locator('.paths-figure').screenshot({ path: `${SCREENSHOT_DIR}ui-paths-stale.png` });
    await page
      .locator('section')
      .filter({ has: page.getByRole('heading', { level: 2, name: 'Stale data from unreachable kube clusters' }) })
      .screenshot({ path: `${SCREENSHOT_DIR}ui-stale.png` });
    await page.locator('#mesh-map').screenshot({ path: `${SCREENSHOT_DIR}ui-mesh-map-stale.png` });
    expect(existsSync(`${SCREENSHOT_DIR}ui-stale.png`)).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
