import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsTestClient, node, type DecodedResponse } from '../../../e2e/support/ads-client.ts';
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
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../protos/type-urls.ts';

const SCREENSHOT = `${SCREENSHOT_DIR}ui.png`;
const PROXY = 'sidecar~127.0.0.9~client-0.default~default.svc.cluster.local';
const OTHER_PROXY = 'sidecar~127.0.0.10~client-1.default~default.svc.cluster.local';
const HELLO = 'helloworld.default.svc.cluster.local';
const MTLS = { 'security.istio.io/tlsMode': 'istio' };
// A NACK message is proxy-controlled text: the page must show it literally, never as markup.
const NACK_MESSAGE = '<img src=x id=injected>listener 0.0.0.0_5000 rejected';

if (!haveChromium)
  console.warn(
    `web admin page browser test skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`,
  );

/** Reads responses until one of `typeUrl` arrives (other types may be pushed in between). */
async function nextOfType(client: AdsTestClient, typeUrl: string): Promise<DecodedResponse> {
  for (let i = 0; i < 10; i++) {
    const response = await client.responses.next();
    if (response.type_url === typeUrl) return response;
  }
  throw new Error(`no ${typeUrl} response within 10 responses`);
}

async function headersOf(table: Locator): Promise<string[]> {
  await table.waitFor();
  return (await table.locator('thead th').allInnerTexts()).map((t) => t.trim().replace(/\s+/g, ' '));
}

describe.skipIf(!haveChromium)('web admin page /ui in chromium', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let meshpilot: Awaited<ReturnType<typeof startTestMeshpilot>>;
  let browser: ChromiumPage;
  let context: BrowserContext;
  let page: Page;
  let pageProblems: string[];
  const clients: AdsTestClient[] = [];

  beforeAll(async () => {
    dir = await tempDir('ui');
    await writeCluster(
      join(dir.path, 'a'),
      [
        {
          name: 'helloworld',
          port: 5000,
          // PreferClose: locality priorities without a DestinationRule (Istio applies them only then or with outlier detection).
          trafficDistribution: 'PreferClose',
          endpoints: [{ ip: '127.0.0.2', node: 'na', labels: MTLS }],
        },
      ],
      [{ name: 'na', region: 'cn', zone: 'z1' }],
    );
    await writeCluster(
      join(dir.path, 'b'),
      [
        {
          name: 'helloworld',
          port: 5000,
          trafficDistribution: 'PreferClose',
          endpoints: [
            { ip: '10.0.0.5', node: 'nb', labels: MTLS },
            { ip: '10.0.0.6', node: 'nb', labels: MTLS },
          ],
        },
        {
          name: 'greeter',
          port: 6000,
          clusterIP: '10.96.0.11',
          endpoints: [{ ip: '10.0.0.7', node: 'nb', labels: MTLS }],
        },
      ],
      [{ name: 'nb', region: 'cn', zone: 'z2' }],
    );
    // Istio config with one object meshpilot rejects and one of a kind it does not translate.
    await mkdir(join(dir.path, 'istio'), { recursive: true });
    await writeFile(
      join(dir.path, 'istio', 'config.yaml'),
      [
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: { name: broken, namespace: default }',
        'spec: { trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } } }',
        '---',
        'apiVersion: networking.istio.io/v1alpha3',
        'kind: EnvoyFilter',
        'metadata: { name: patch, namespace: default }',
        'spec: { configPatches: [] }',
        '',
      ].join('\n'),
    );
    meshpilot = await startTestMeshpilot(dir.path, {
      config: [{ manifests: join(dir.path, 'istio') }],
      clusters: [
        { name: 'cluster-a', network: 'net-a', manifests: join(dir.path, 'a') },
        { name: 'cluster-b', network: 'net-b', manifests: join(dir.path, 'b') },
      ],
      meshNetworks: {
        networks: {
          'net-b': { endpoints: [{ fromRegistry: 'cluster-b' }], gateways: [{ address: '192.168.0.10', port: 15443 }] },
        },
      },
    });

    const client = new AdsTestClient(meshpilot.xdsAddress);
    clients.push(client);
    const proxyNode = node(PROXY, { CLUSTER_ID: 'cluster-a', NETWORK: 'net-a' }, { region: 'cn', zone: 'z1' });
    client.send({ node: proxyNode, type_url: CLUSTER_TYPE, resource_names: [] });
    const cds = await nextOfType(client, CLUSTER_TYPE);
    client.send({
      type_url: CLUSTER_TYPE,
      version_info: cds.version_info,
      response_nonce: cds.nonce,
      resource_names: [],
    });
    // EDS is left un-ACKed on purpose (STALE); LDS is NACKed (NACKED, with its message).
    client.send({ type_url: ENDPOINT_TYPE, resource_names: [`outbound|5000||${HELLO}`] });
    await nextOfType(client, ENDPOINT_TYPE);
    client.send({ type_url: LISTENER_TYPE, resource_names: [] });
    const lds = await nextOfType(client, LISTENER_TYPE);
    client.send({
      type_url: LISTENER_TYPE,
      version_info: '',
      response_nonce: lds.nonce,
      resource_names: [],
      error_detail: { code: 3, message: NACK_MESSAGE },
    });
    await client.responses.quiet(100);

    browser = await openChromium('ui', { httpErrors: true });
    ({ context, page, problems: pageProblems } = browser);
    await page.goto(`${meshpilot.adminUrl}/ui?refresh=1`);
  });

  afterAll(async () => {
    await browser?.close();
    for (const client of clients) client.close();
    await meshpilot?.stop();
    await dir?.remove();
  });

  it('is an accessible page with a heading per section', async () => {
    expect(await page.title()).toBe('meshpilot admin');
    const headings = await page.getByRole('heading', { level: 2 }).allInnerTexts();
    expect(headings).toEqual([
      'Mesh map',
      'Kube clusters',
      'Services by kube cluster and network',
      'Connected proxies',
      'Endpoints as a proxy sees them',
      'Stale data from unreachable kube clusters',
      'Istio config not applied',
    ]);
  });

  it('draws the mesh: kube clusters inside their networks, the gateways of each network, endpoints and proxies', async () => {
    const map = page.getByRole('figure', { name: 'Mesh map' });
    await map.waitFor();
    const netA = map.getByRole('region', { name: 'network net-a' });
    const netB = map.getByRole('region', { name: 'network net-b' });
    expect(await netA.getByRole('article').allInnerTexts()).toHaveLength(1);
    expect(await netA.getByRole('article', { name: 'kube cluster cluster-a' }).count()).toBe(1);
    expect(await netB.getByRole('article', { name: 'kube cluster cluster-b' }).count()).toBe(1);
    expect(await netA.locator('.map-gateways').innerText()).toBe('no east-west gateway: reached directly');
    expect(await netB.locator('.map-gateways').innerText()).toBe('east-west gateway 192.168.0.10:15443');
    const servicesB = await netB
      .getByRole('list', { name: 'services in cluster-b' })
      .getByRole('listitem')
      .allInnerTexts();
    expect(servicesB.sort()).toEqual([`greeter.default.svc.cluster.local 1 endpoint(s)`, `${HELLO} 2 endpoint(s)`]);
    const proxiesA = netA.getByRole('list', { name: 'proxies in cluster-a' }).getByRole('listitem');
    await proxiesA.filter({ hasText: 'client-0.default' }).waitFor();
    // The proxy's LDS is NACKED: the map shows its worst state.
    expect((await proxiesA.filter({ hasText: 'client-0.default' }).innerText()).replace(/\s+/g, ' ')).toBe(
      'client-0.default NACKED',
    );
  });

  it('lists the Istio config meshpilot did not apply: the rejected object with its errors, the unsupported kind', async () => {
    const panel = page.getByRole('table', { name: 'Istio config not applied' });
    const rejected = await cellsOf(panel, 'DestinationRule default/broken');
    expect(rejected.slice(1, 2)).toEqual(['rejected']);
    expect(rejected[3]).toMatch(/^MESHPILOT_ERR_\w+: .*host/);
    const unsupported = await cellsOf(panel, 'EnvoyFilter default/patch');
    expect(unsupported[1]).toBe('not supported');
    expect(unsupported[3]).toMatch(/^not supported: EnvoyFilter/);
  });

  it('says no data is stale while every kube cluster is reachable', async () => {
    const section = page.locator('#stale');
    await section.getByText('Every kube cluster is reachable').waitFor();
    expect(await section.innerText()).toBe('Every kube cluster is reachable: nothing is served from stale data.');
  });

  it('shows each kube cluster with its health', async () => {
    const clusters = page.getByRole('table', { name: 'Kube clusters' });
    const row = await cellsOf(clusters, 'cluster-a');
    expect(row.slice(0, 3)).toEqual(['cluster-a', 'manifests', 'synced']);
    expect(row[3]).not.toBe('—'); // synced at
    expect(row[4]).toBe('—'); // never unreachable
    expect(row[6]).toMatch(/Pod 1/);
    expect((await cellsOf(clusters, 'cluster-b'))[2]).toBe('synced');
  });

  it('shows services × kube clusters × networks with endpoint counts and the gateways of each network', async () => {
    const matrix = page.getByRole('table', { name: 'Services by kube cluster' });
    expect(await headersOf(matrix)).toEqual(['Service', 'cluster-a network net-a', 'cluster-b network net-b']);
    expect((await cellsOf(matrix, HELLO)).slice(1)).toEqual(['1', '2']);
    expect((await cellsOf(matrix, 'greeter.default.svc.cluster.local')).slice(1)).toEqual(['0', '1']);
    expect(await cellsOf(matrix, 'East-west gateways')).toEqual(['East-west gateways', 'none', '192.168.0.10:15443']);
  });

  it('shows the connected proxy with SYNCED, STALE and NACKED types, the NACK message as plain text', async () => {
    const proxies = page.getByRole('table', { name: 'Connected proxies' });
    const headers = await headersOf(proxies);
    const row = await cellsOf(proxies, PROXY);
    const byHeader = Object.fromEntries(headers.map((h, i) => [h, row[i]]));
    expect(byHeader).toMatchObject({
      'Kube cluster': 'cluster-a',
      Network: 'net-a',
      Locality: 'cn/z1',
      CDS: 'SYNCED',
      EDS: 'STALE',
    });
    expect(byHeader.LDS).toBe(`NACKED\n${NACK_MESSAGE}`);
    expect(await page.locator('#injected').count()).toBe(0);
  });

  it('shows a chosen service as a chosen proxy sees it: the remote endpoint rewritten to the gateway at priority 1', async () => {
    await page.getByLabel('Proxy', { exact: true }).selectOption(PROXY);
    await page.getByLabel('Service', { exact: true }).selectOption(HELLO);
    const explain = page.getByRole('table', { name: 'Endpoints as the proxy sees them' });
    await explain.waitFor();
    expect(await explain.locator('caption').innerText()).toBe(
      `${HELLO} as seen by ${PROXY} (kube cluster cluster-a, network net-a, locality cn/z1)`,
    );
    expect(await headersOf(explain)).toEqual([
      'Workload',
      'Kube cluster',
      'Network',
      'Locality',
      'Outcome',
      'Sent as',
      'Priority',
      'Why',
    ]);
    const local = await cellsOf(explain, '127.0.0.2:5000');
    expect(local.slice(0, 7)).toEqual([
      '127.0.0.2:5000',
      'cluster-a',
      'net-a',
      'cn/z1',
      'local',
      '127.0.0.2:5000',
      '0',
    ]);
    expect(local[7]).toMatch(
      /^sent as is: network net-a, proxy network net-a .*priority 0: trafficDistribution PreferClose: every failoverPriority label .* matches the proxy/,
    );
    const remote = await cellsOf(explain, /^10\.0\.0\.5:5000/);
    expect(remote.slice(0, 7)).toEqual([
      '10.0.0.5:5000',
      'cluster-b',
      'net-b',
      'cn/z2',
      'via-gateway',
      '→ gateway 192.168.0.10:15443\ninstead of 10.0.0.5:5000',
      '1',
    ]);
    expect(remote[7]).toMatch(
      /rewritten to 1 gateway\(s\) of network net-b.*priority 1: trafficDistribution PreferClose: failoverPriority label topology.istio.io\/network/,
    );

    // The picture of the same answer: the local endpoint straight from the proxy, the remote ones through
    // the gateway of their network, each with the priority of its last hop.
    const picture = page.getByRole('img', { name: `Paths from ${PROXY} to ${HELLO}` });
    await picture.waitFor();
    const boxes = picture.locator('g.path-box[data-endpoint]');
    expect(await boxes.count()).toBe(3);
    const endpoint = (address: string): Locator => picture.locator(`g.path-box[data-endpoint="${address}"]`);
    expect(await endpoint('127.0.0.2:5000').getAttribute('data-outcome')).toBe('local');
    expect(await endpoint('127.0.0.2:5000').getAttribute('data-priority')).toBe('0');
    for (const remote of ['10.0.0.5:5000', '10.0.0.6:5000']) {
      expect(await endpoint(remote).getAttribute('data-outcome')).toBe('via-gateway');
      expect(await endpoint(remote).getAttribute('data-via')).toBe('192.168.0.10:15443');
      expect(await endpoint(remote).getAttribute('data-priority')).toBe('1');
      expect(await endpoint(remote).locator('text').allTextContents()).toEqual([remote, 'cluster-b · network net-b']);
    }
    const gateways = picture.locator('g.path-box[data-gateway]');
    expect(await gateways.count()).toBe(1);
    expect(await gateways.getAttribute('data-network')).toBe('net-b');
    expect(await gateways.locator('text').first().textContent()).toBe('gateway 192.168.0.10:15443');
    const hops = async (to: string): Promise<string[]> =>
      (await picture
        .locator(`path.hop[data-to="${to}"]`)
        .evaluateAll((paths) =>
          paths.map((p) => `${p.getAttribute('data-from')} priority ${p.getAttribute('data-priority') ?? '-'}`),
        )) as string[];
    expect(await hops('127.0.0.2:5000')).toEqual(['proxy priority 0']);
    expect(await hops('10.0.0.5:5000')).toEqual(['192.168.0.10:15443 priority 1']);
    expect(await hops('192.168.0.10:15443')).toEqual(['proxy priority -']);
    expect(await picture.locator('text.priority').allTextContents()).toEqual([
      'priority 0',
      'priority 1',
      'priority 1',
    ]);
    // Each box says why in its tooltip: explain's reason.
    expect(await endpoint('10.0.0.5:5000').locator('title').textContent()).toMatch(
      /^rewritten to 1 gateway\(s\) of network net-b/,
    );

    // Paused while the screenshots are taken: each refresh draws the picture anew.
    await page.getByLabel(/Auto-refresh/).uncheck();
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.locator('.paths-figure').screenshot({ path: `${SCREENSHOT_DIR}ui-paths.png` });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.getByLabel(/Auto-refresh/).check();
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('refreshes by itself, keeping the chosen proxy and service', async () => {
    const other = new AdsTestClient(meshpilot.xdsAddress);
    clients.push(other);
    other.send({
      node: node(OTHER_PROXY, { CLUSTER_ID: 'cluster-b', NETWORK: 'net-b' }),
      type_url: CLUSTER_TYPE,
      resource_names: [],
    });
    await nextOfType(other, CLUSTER_TYPE);
    const proxies = page.getByRole('table', { name: 'Connected proxies' });
    // No reload: the page's own refresh (every second here) must bring the new proxy in.
    await proxies.getByRole('row').filter({ hasText: OTHER_PROXY }).waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Proxy', { exact: true }).inputValue()).toBe(PROXY);
    expect(await page.getByLabel('Service', { exact: true }).inputValue()).toBe(HELLO);
    await page.getByRole('table', { name: 'Endpoints as the proxy sees them' }).waitFor();
    await page.getByLabel(/Auto-refresh/).uncheck();
    expect(await page.getByRole('status').innerText()).toBe('Paused');
    expect(pageProblems).toEqual([]);
  });

  it('shows the proxies a page at a time (bounded answers), with next and previous', async () => {
    // Two proxies are connected now (the previous test added one); one per page here.
    const paged = await context.newPage();
    try {
      await paged.goto(`${meshpilot.adminUrl}/ui?refresh=3600&proxies=1`);
      const proxies = paged.getByRole('table', { name: 'Connected proxies' });
      await proxies.waitFor();
      expect(await proxies.locator('caption').innerText()).toBe('2 connected proxies, 1–1 shown');
      expect(await proxies.getByRole('row').filter({ hasText: PROXY }).count()).toBe(1);
      expect(await paged.getByRole('button', { name: 'Previous proxies' }).isDisabled()).toBe(true);
      await paged.getByRole('button', { name: 'Next proxies' }).click();
      await proxies.getByRole('row').filter({ hasText: OTHER_PROXY }).waitFor({ timeout: 10_000 });
      expect(await proxies.locator('caption').innerText()).toBe('2 connected proxies, 2–2 shown');
      expect(await proxies.getByRole('row').filter({ hasText: PROXY }).count()).toBe(0);
      expect(await paged.getByRole('button', { name: 'Next proxies' }).isDisabled()).toBe(true);
      expect(pageProblems).toEqual([]);
    } finally {
      await paged.close();
    }
  });
});
