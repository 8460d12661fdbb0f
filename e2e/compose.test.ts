/**
 * docker-compose.yml cannot run here (no Docker engine): this checks that it is well formed and
 * consistent with examples/compose/, and that every bootstrap its init step writes is a valid Envoy
 * bootstrap (proto3 JSON → envoy.config.bootstrap.v3.Bootstrap → validate.rules) whose token meshpilot's
 * TokenReview accepts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../protos/any.ts';
import { fromProto3Json } from '../protos/proto3-json.ts';
import { formatViolations, validateResourceBytes } from '../protos/validate-rules.ts';
import { parseConfigText } from '../server/config/load.ts';
import { startKubeSim, type KubeSim } from '../kube-sim/index.ts';
import { kubeTokenReviewer } from '../server/security/token-review.ts';
import { parseProxyNode } from '../server/generators/proxy-identity.ts';
import { BOOTSTRAP_TYPE } from '../translators/bootstrap.ts';
import {
  readComposeProxies,
  registerKubeSimToken,
  writeComposeBootstraps,
  type ComposeProxy,
} from '../examples/compose/write-bootstraps.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_DIR = join(ROOT, 'examples', 'compose');

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  network_mode?: string;
  depends_on?: string[] | Record<string, { condition: string }>;
  environment?: Record<string, string>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet: string }[] } }>;
}

const run = promisify(execFile);

async function composeCli(): Promise<string[] | undefined> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const [bin, ...args] = candidate as [string, ...string[]];
    const works = await run(bin, [...args, 'version'], { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (works) return candidate;
  }
  return undefined;
}

function ipOf(compose: ComposeFile, serviceName: string): string | undefined {
  const service = compose.services[serviceName];
  if (service?.network_mode?.startsWith('service:'))
    return ipOf(compose, service.network_mode.slice('service:'.length));
  const networks = service?.networks;
  if (networks === undefined || Array.isArray(networks)) return undefined;
  return Object.values(networks).find((n) => n?.ipv4_address !== undefined)?.ipv4_address ?? undefined;
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const toInt = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const block = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / block) === Math.floor(toInt(base) / block);
}

async function manifestObjects(cluster: string): Promise<Record<string, unknown>[]> {
  const sim = await startKubeSim({ manifestsDir: join(COMPOSE_DIR, cluster) });
  try {
    expect(sim.skippedManifests).toEqual([]);
    return sim.list('v1', 'Pod');
  } finally {
    await sim.stop();
  }
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let proxies: ComposeProxy[];
  beforeAll(async () => {
    compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
    proxies = await readComposeProxies(join(COMPOSE_DIR, 'proxies.yaml'));
  });

  it('is accepted by `docker compose config` when a compose CLI is installed', async () => {
    const cli = await composeCli();
    if (cli === undefined) {
      console.log(
        'compose CLI not installed (neither `docker compose` nor `docker-compose`): checked by the structural tests only',
      );
      return;
    }
    const [bin, ...args] = cli as [string, ...string[]];
    await run(bin, [...args, '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
      cwd: ROOT,
      timeout: 60_000,
    });
  });

  it('has an image or build for every service, declares every named volume and network, and depends only on existing services', () => {
    const names = new Set(Object.keys(compose.services));
    expect(names).toEqual(
      new Set([
        'kube-a',
        'kube-b',
        'meshpilot',
        'bootstrap-init',
        'helloworld-a',
        'sidecar-helloworld-a',
        'helloworld-b',
        'sidecar-helloworld-b',
        'eastwest-a',
        'eastwest-b',
      ]),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, `${name} has image or build`).toBeDefined();
      if (service.build !== undefined) {
        const context = typeof service.build === 'string' ? service.build : service.build.context;
        expect(existsSync(join(ROOT, context, 'Dockerfile')), `${name}: build context has a Dockerfile`).toBe(true);
      }
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.') || source.startsWith('/'))
          expect(existsSync(join(ROOT, source)), `${name}: bind mount ${source} exists`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source} declared`).toHaveProperty(source);
      }
      const networks = Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {});
      for (const network of networks)
        expect(compose.networks, `${name}: network ${network} declared`).toHaveProperty(network);
      if (service.network_mode !== undefined) {
        expect(service.network_mode).toMatch(/^service:/);
        expect(
          names.has(service.network_mode.slice('service:'.length)),
          `${name}: ${service.network_mode} exists`,
        ).toBe(true);
        expect(service.networks).toBeUndefined();
      }
      const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const target of dependsOn) expect(names.has(target), `${name}: depends_on ${target} exists`).toBe(true);
    }
  });

  it('refers only to repository files that exist, and gives every container a distinct address in the declared subnet', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const words = [
        ...(service.entrypoint ?? []),
        ...(service.command ?? []),
        ...Object.values(service.environment ?? {}),
      ].flatMap((w) => w.split(/\s+/));
      for (const word of words.filter((w) => w.startsWith('examples/') || w.startsWith('/app/'))) {
        expect(existsSync(join(ROOT, word.replace(/^\/app\//, ''))), `${name}: ${word} exists`).toBe(true);
      }
    }
    const subnet = compose.networks?.['mesh']?.ipam?.config?.[0]?.subnet ?? '';
    const addresses = Object.keys(compose.services).flatMap((name) =>
      compose.services[name]?.network_mode === undefined ? [ipOf(compose, name)].filter((ip) => ip !== undefined) : [],
    );
    expect(new Set(addresses).size).toBe(addresses.length);
    for (const ip of addresses) expect(inSubnet(ip as string, subnet), `${ip} in ${subnet}`).toBe(true);
  });

  it('runs one Envoy per proxy of proxies.yaml, on the address of the pod the proxy claims to be', async () => {
    const pods = { 'cluster-a': await manifestObjects('cluster-a'), 'cluster-b': await manifestObjects('cluster-b') };
    const envoys = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('envoyproxy/envoy:'));
    expect(envoys.map(([name]) => name).sort()).toEqual(proxies.map((p) => p.name).sort());
    for (const proxy of proxies) {
      const service = compose.services[proxy.name];
      expect(service?.command).toEqual(expect.arrayContaining(['-c', `/bootstrap/${proxy.name}.json`]));
      expect(ipOf(compose, proxy.name), `${proxy.name} address`).toBe(proxy.podIp);
      const pod = pods[proxy.clusterId as keyof typeof pods].find(
        (p) => (p as { metadata: { name: string } }).metadata.name === proxy.podName,
      ) as
        | { metadata: { namespace: string }; spec: { serviceAccountName: string }; status: { podIP: string } }
        | undefined;
      expect(pod, `${proxy.name}: pod ${proxy.podName} in ${proxy.clusterId}`).toBeDefined();
      expect([pod?.metadata.namespace, pod?.spec.serviceAccountName, pod?.status.podIP]).toEqual([
        proxy.namespace,
        proxy.serviceAccount,
        proxy.podIp,
      ]);
    }
  });

  it('ships a meshpilot.yaml that meshpilot accepts (kubeconfig paths pointed at stand-in files)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshpilot-compose-config-'));
    try {
      for (const name of ['cluster-a', 'cluster-b'])
        await writeFile(join(dir, `${name}.kubeconfig`), 'apiVersion: v1\nkind: Config\n');
      const text = (await readFile(join(COMPOSE_DIR, 'meshpilot.yaml'), 'utf8')).replaceAll('/shared/', `${dir}/`);
      const result = await parseConfigText(text, join(COMPOSE_DIR, 'meshpilot.yaml'));
      expect(result.ok ? [] : result.errors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('compose bootstrap-init', () => {
  let kubeA: KubeSim;
  let dir: string;
  let written: string[];
  let tokens: Map<string, string>;

  beforeAll(async () => {
    kubeA = await startKubeSim({
      manifestsDir: join(COMPOSE_DIR, 'cluster-a'),
      clusterName: 'cluster-a',
      logger: pino({ level: 'silent' }),
    });
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-compose-bootstrap-'));
    await writeFile(join(dir, 'root-cert.pem'), '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n');
    tokens = new Map();
    written = await writeComposeBootstraps({
      proxies: await readComposeProxies(join(COMPOSE_DIR, 'proxies.yaml')),
      outDir: join(dir, 'out'),
      envoyDir: '/bootstrap',
      caRootCert: join(dir, 'root-cert.pem'),
      xdsAddress: 'meshpilot:15012',
      registerToken: async (token, proxy) => {
        tokens.set(proxy.name, token);
        await registerKubeSimToken(kubeA.kubeconfig, token, proxy.namespace, proxy.serviceAccount);
      },
    });
  });
  afterAll(async () => {
    await kubeA.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one bootstrap per proxy that Envoy would parse and that passes validate.rules with zero violations', async () => {
    expect(written).toHaveLength(4);
    for (const file of written) {
      const bytes = encodeMessage(
        BOOTSTRAP_TYPE,
        fromProto3Json(BOOTSTRAP_TYPE, JSON.parse(await readFile(file, 'utf8'))),
      );
      const violations = validateResourceBytes(BOOTSTRAP_TYPE, bytes, { reportUnknownAny: true });
      expect(formatViolations(violations), file).toBe('');
    }
    expect(await readFile(join(dir, 'out', 'root-cert.pem'), 'utf8')).toContain('stand-in');
  });

  it('gives each Envoy the identity of its pod, TLS to meshpilot:15012 trusting /bootstrap/root-cert.pem, and a token TokenReview maps to its service account', async () => {
    const proxies = await readComposeProxies(join(COMPOSE_DIR, 'proxies.yaml'));
    const reviewer = kubeTokenReviewer({ kubeconfig: kubeA.kubeconfig, kubeCluster: 'cluster-a' });
    for (const proxy of proxies) {
      const json = JSON.parse(await readFile(join(dir, 'out', `${proxy.name}.json`), 'utf8'));
      const decoded = decodeMessage(
        BOOTSTRAP_TYPE,
        encodeMessage(BOOTSTRAP_TYPE, fromProto3Json(BOOTSTRAP_TYPE, json)),
      );
      const parsed = parseProxyNode(decoded['node'] as Parameters<typeof parseProxyNode>[0], undefined);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.proxy.view).toMatchObject({
        proxyType: proxy.type,
        kubeCluster: proxy.clusterId,
        network: proxy.network,
        namespace: proxy.namespace,
        routerMode: proxy.type === 'router' ? 'sni-dnat' : 'standard',
      });
      const xds = json.static_resources.clusters[0];
      expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
        address: 'meshpilot',
        port_value: 15012,
      });
      expect(xds.transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename).toBe(
        '/bootstrap/root-cert.pem',
      );
      expect(json.admin.address.socket_address.port_value).toBe(15000);
      const header = json.dynamic_resources.ads_config.grpc_services[0].initial_metadata[0];
      expect(header).toEqual({ key: 'authorization', value: `Bearer ${tokens.get(proxy.name)}` });
      expect(await reviewer.review(tokens.get(proxy.name) ?? '')).toEqual({
        ok: true,
        namespace: proxy.namespace,
        serviceAccount: proxy.serviceAccount,
      });
    }
  });
});
