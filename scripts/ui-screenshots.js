// Writes one screenshot per view of the /ui page into docs/screenshots/ (committed, shown in the README):
// runs `meshpilot demo` (what npm start runs) on ephemeral ports, opens /ui in headless Chromium
// (/usr/bin/chromium, playwright-core), chooses the demo's gRPC client and helloworld, and captures each
// section. Run it by hand after a change to the page: `node scripts/ui-screenshots.js`. Tests never run it.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'screenshots');
const VIEWS = [
  ['mesh-map', 'Mesh map'],
  ['kube-clusters', 'Kube clusters'],
  ['services', 'Services by kube cluster and network'],
  ['proxies', 'Connected proxies'],
  ['explain', 'Endpoints as a proxy sees them'],
  ['istio-config', 'Istio config not applied'],
];

const demo = spawn(
  process.execPath,
  [
    join(ROOT, 'bin', 'meshpilot-ts.js'),
    'demo',
    '--config',
    'examples/demo/meshpilot.yaml',
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
    await new Promise((r) => setTimeout(r, 200));
  }
  const ui = /(http:\/\/127\.0\.0\.1:\d+\/ui)/.exec(banner)[1];
  // Let every proxy sync and the gRPC client make a few calls.
  await new Promise((r) => setTimeout(r, 5_000));
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
  for (const [file, heading] of VIEWS) {
    const section = page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name: heading }) });
    await section.screenshot({ path: join(OUT, `${file}.png`) });
    process.stdout.write(`wrote docs/screenshots/${file}.png\n`);
  }
  await browser.close();
} finally {
  demo.kill('SIGINT');
}
