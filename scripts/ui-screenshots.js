// Writes one screenshot per view of the /ui page into docs/screenshots/ (committed, shown in the README):
// runs `meshpilot demo` (what npm start runs) on ephemeral ports with one more kube cluster, cluster-c of
// network group40, served by a `meshpilot kube-sim` that the script then stops so that the page has stale
// data to show; opens /ui in headless Chromium (/usr/bin/chromium, playwright-core), chooses the demo's gRPC
// client and helloworld, and captures each section and the path picture. Run it by hand after a change to
// the page: `node scripts/ui-screenshots.js`. Tests never run it (they write to the ignored .cache/).
/* global fetch */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { parse, stringify } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'screenshots');
const BIN = join(ROOT, 'bin', 'meshpilot-ts.js');
const DEMO = join(ROOT, 'examples', 'demo');
/** [file, the h2 of its section, or a CSS selector] */
const VIEWS = [
  ['mesh-map', 'Mesh map'],
  ['kube-clusters', 'Kube clusters'],
  ['services', 'Services by kube cluster and network'],
  ['proxies', 'Connected proxies'],
  ['paths', '.paths-figure'],
  ['explain', 'Endpoints as a proxy sees them'],
  ['stale', 'Stale data from unreachable kube clusters'],
  ['istio-config', 'Istio config not applied'],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** cluster-c: helloworld v3 on 127.0.40.1, in the mesh (tlsMode istio), on a node of zone shanghai-40. */
const CLUSTER_C = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': 'group40' } },
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-c1',
      labels: { 'topology.kubernetes.io/region': 'cn', 'topology.kubernetes.io/zone': 'shanghai-40' },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'helloworld', namespace: 'default', labels: { app: 'helloworld' } },
    spec: {
      clusterIP: '10.96.0.10',
      selector: { app: 'helloworld' },
      ports: [{ name: 'grpc', port: 5000, targetPort: 5000, protocol: 'TCP' }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'helloworld-v3-0',
      namespace: 'default',
      labels: { app: 'helloworld', version: 'v3', 'security.istio.io/tlsMode': 'istio' },
    },
    spec: {
      nodeName: 'node-c1',
      serviceAccountName: 'helloworld',
      containers: [{ name: 'helloworld', image: 'helloworld' }],
    },
    status: { phase: 'Running', podIP: '127.0.40.1', podIPs: [{ ip: '127.0.40.1' }] },
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'helloworld-c', namespace: 'default', labels: { 'kubernetes.io/service-name': 'helloworld' } },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port: 5000, protocol: 'TCP' }],
    endpoints: [
      {
        addresses: ['127.0.40.1'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-c1',
        targetRef: { kind: 'Pod', name: 'helloworld-v3-0', namespace: 'default' },
      },
    ],
  },
];

/** The demo's config with absolute paths, plus cluster-c (kubeconfig) in network group40 behind 127.0.40.100. */
function demoConfigWithClusterC(kubeconfig) {
  const config = parse(readFileSync(join(DEMO, 'meshpilot.yaml'), 'utf8'));
  const absolute = (path) => (isAbsolute(path) ? path : resolve(DEMO, path));
  config.clusters = [
    ...config.clusters.map((c) => ({ ...c, ...(c.manifests ? { manifests: absolute(c.manifests) } : {}) })),
    { name: 'cluster-c', network: 'group40', kubeconfig },
  ];
  config.config = (config.config ?? []).map((c) => (c.manifests ? { ...c, manifests: absolute(c.manifests) } : c));
  config.meshNetworks.networks.group40 = {
    endpoints: [{ fromRegistry: 'cluster-c' }],
    gateways: [{ address: '127.0.40.100', port: 15443 }],
  };
  delete config.listen.xdsTls;
  return config;
}

const work = mkdtempSync(join(tmpdir(), 'meshpilot-ui-screenshots-'));
mkdirSync(join(work, 'cluster-c'));
writeFileSync(join(work, 'cluster-c', 'helloworld.yaml'), CLUSTER_C.map((o) => stringify(o)).join('---\n'));
const kubeconfig = join(work, 'cluster-c.kubeconfig');
const sim = spawn(
  process.execPath,
  [BIN, 'kube-sim', '--manifests', join(work, 'cluster-c'), '--kubeconfig-out', kubeconfig],
  { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
);
for (let i = 0; i < 300 && !existsSync(kubeconfig); i++) await sleep(100);
if (!existsSync(kubeconfig)) throw new Error('kube-sim wrote no kubeconfig');
writeFileSync(join(work, 'meshpilot.yaml'), stringify(demoConfigWithClusterC(kubeconfig)));

const demo = spawn(
  process.execPath,
  [
    BIN,
    'demo',
    '--config',
    join(work, 'meshpilot.yaml'),
    '--workloads',
    join(DEMO, 'demo.yaml'),
    '--xds',
    '127.0.0.1:0',
    '--admin',
    '127.0.0.1:0',
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
let banner = '';
demo.stdout.on('data', (d) => (banner += d.toString()));
try {
  const deadline = Date.now() + 120_000;
  while (!/Ctrl-C stops the demo/.test(banner)) {
    if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start:\n${banner}`);
    await sleep(200);
  }
  const ui = /(http:\/\/127\.0\.0\.1:\d+\/ui)/.exec(banner)[1];
  // Let every proxy sync and the gRPC client make a few calls; then cluster-c's API server goes away.
  await sleep(5_000);
  sim.kill('SIGKILL');
  const clusterz = ui.replace(/\/ui$/, '/debug/clusterz');
  for (let i = 0; i < 300; i++) {
    const health = await (await fetch(clusterz)).json();
    if (health.some((c) => c.name === 'cluster-c' && c.state === 'unreachable')) break;
    await sleep(200);
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${ui}?refresh=1`);
  await page.getByRole('figure', { name: 'Mesh map' }).waitFor();
  await page
    .getByLabel('Proxy', { exact: true })
    .selectOption({ label: /client-0/ })
    .catch(async () => {
      const value = await page.locator('#explain-proxy option', { hasText: 'client-0' }).first().getAttribute('value');
      await page.getByLabel('Proxy', { exact: true }).selectOption(value ?? '');
    });
  await page.getByLabel('Service', { exact: true }).selectOption('helloworld.default.svc.cluster.local');
  await page.getByRole('table', { name: 'Endpoints as the proxy sees them' }).waitFor();
  await page.getByLabel(/Auto-refresh/).uncheck();
  mkdirSync(OUT, { recursive: true });
  await page.locator('.paths-figure').waitFor();
  await page.getByRole('table', { name: 'Stale data from unreachable kube clusters' }).waitFor();
  for (const [file, view] of VIEWS) {
    const section = view.startsWith('.')
      ? page.locator(view)
      : page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: view, exact: true }) });
    await section.screenshot({ path: join(OUT, `${file}.png`) });
    process.stdout.write(`wrote docs/screenshots/${file}.png\n`);
  }
  await browser.close();
} finally {
  demo.kill('SIGINT');
  sim.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
