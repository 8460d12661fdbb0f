/**
 * The compose `bootstrap-init` step: for every proxy of proxies.yaml, registers a fresh
 * service-account token in kube-a (kube-sim has no token controller; a real cluster would mount
 * one) and writes `<outDir>/<name>.json` with `meshpilot bootstrap` (TLS to meshpilot:15012 with
 * that token), plus `root-cert.pem` copied from meshpilot's CA folder. Run with environment:
 *   PROXIES (proxies.yaml), OUT_DIR (/bootstrap), CA_ROOT_CERT (/ca/root-cert.pem),
 *   TOKEN_KUBECONFIG (/shared/cluster-a.kubeconfig), XDS_ADDRESS (meshpilot:15012)
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { runBootstrapCommand, type BootstrapFlags } from '../../cli/bootstrap-command.ts';

export interface ComposeProxy {
  readonly name: string;
  readonly type: 'sidecar' | 'router';
  readonly podIp: string;
  readonly podName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly clusterId: string;
  readonly network: string;
  readonly region: string;
  readonly zone: string;
  readonly labels: Readonly<Record<string, string>>;
}

const STRING_KEYS = [
  'name',
  'type',
  'podIp',
  'podName',
  'namespace',
  'serviceAccount',
  'clusterId',
  'network',
  'region',
  'zone',
] as const;

export async function readComposeProxies(file: string): Promise<ComposeProxy[]> {
  const document: unknown = parse(await readFile(file, 'utf8'));
  if (!Array.isArray(document)) throw new Error(`${file}: expected a list of proxies`);
  return document.map((entry: unknown, index): ComposeProxy => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    for (const key of STRING_KEYS) {
      if (typeof record[key] !== 'string' || record[key] === '')
        throw new Error(`${file}: [${index}].${key} must be a non-empty string`);
    }
    if (record['type'] !== 'sidecar' && record['type'] !== 'router')
      throw new Error(`${file}: [${index}].type must be sidecar or router`);
    const labels =
      typeof record['labels'] === 'object' && record['labels'] !== null
        ? (record['labels'] as Record<string, unknown>)
        : {};
    return {
      ...(record as unknown as ComposeProxy),
      labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])),
    };
  });
}

export interface EnvoyPaths {
  /** meshpilot's TLS ADS address as the Envoys reach it. */
  readonly xdsAddress: string;
  /** Where the Envoy containers see the bootstrap volume. */
  readonly envoyDir: string;
}

/** The `meshpilot bootstrap` flags for one proxy; files are written under outDir, referenced under envoyDir. */
export function bootstrapFlagsFor(proxy: ComposeProxy, paths: EnvoyPaths, outDir: string): BootstrapFlags {
  return {
    type: proxy.type,
    podIp: proxy.podIp,
    podName: proxy.podName,
    namespace: proxy.namespace,
    serviceAccount: proxy.serviceAccount,
    clusterId: proxy.clusterId,
    network: proxy.network,
    region: proxy.region,
    zone: proxy.zone,
    label: Object.entries(proxy.labels).map(([k, v]) => `${k}=${v}`),
    xdsAddress: paths.xdsAddress,
    tls: true,
    rootCert: `${paths.envoyDir}/root-cert.pem`,
    xdsServerName: 'meshpilot',
    tokenFile: join(outDir, 'tokens', `${proxy.name}.token`),
    // Published to the host, so that `curl localhost:<port>/config_dump` works.
    adminAddress: '0.0.0.0:15000',
    output: join(outDir, `${proxy.name}.json`),
  };
}

/** kube-sim's admin path: TokenReview then answers system:serviceaccount:<ns>:<sa> for the token. */
export async function registerKubeSimToken(
  kubeconfigYaml: string,
  token: string,
  namespace: string,
  serviceAccount: string,
): Promise<void> {
  const config = parse(kubeconfigYaml) as {
    clusters?: { cluster?: Record<string, string> }[];
    users?: { user?: { token?: string } }[];
  };
  const cluster = config.clusters?.[0]?.cluster ?? {};
  const adminToken = config.users?.[0]?.user?.token;
  if (cluster['server'] === undefined || adminToken === undefined)
    throw new Error('the kube-sim kubeconfig needs a server and a token');
  const url = new URL('/_sim/serviceaccount-tokens', cluster['server']);
  const body = JSON.stringify({ token, namespace, serviceAccount, access: 'none' });
  await new Promise<void>((resolvePost, reject) => {
    const post = request(
      url,
      {
        method: 'POST',
        ca: Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64'),
        ...(cluster['tls-server-name'] !== undefined ? { servername: cluster['tls-server-name'] } : {}),
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 10_000,
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode !== undefined && response.statusCode < 300
            ? resolvePost()
            : reject(new Error(`kube-sim answered ${response.statusCode} to the token registration`)),
        );
      },
    );
    post.on('timeout', () => post.destroy(new Error('kube-sim did not answer the token registration within 10 s')));
    post.on('error', reject);
    post.end(body);
  });
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

export interface WriteBootstrapsOptions extends EnvoyPaths {
  readonly proxies: readonly ComposeProxy[];
  readonly outDir: string;
  readonly caRootCert: string;
  /** Makes `token` a valid service-account token of the proxy (kube-sim registration in compose). */
  readonly registerToken: (token: string, proxy: ComposeProxy) => Promise<void>;
}

/** Writes root-cert.pem, tokens/<name>.token and <name>.json for every proxy; returns the bootstrap paths. */
export async function writeComposeBootstraps(options: WriteBootstrapsOptions): Promise<string[]> {
  await waitForFile(options.caRootCert, 60_000);
  await mkdir(join(options.outDir, 'tokens'), { recursive: true, mode: 0o700 });
  await copyFile(options.caRootCert, join(options.outDir, 'root-cert.pem'));
  const written: string[] = [];
  for (const proxy of options.proxies) {
    const token = randomBytes(24).toString('base64url');
    await options.registerToken(token, proxy);
    const flags = bootstrapFlagsFor(proxy, options, options.outDir);
    await writeFile(flags.tokenFile ?? '', `${token}\n`, { mode: 0o600 });
    let errors = '';
    const code = await runBootstrapCommand(flags, process.stdout, { write: (text: string) => (errors += text) });
    if (code !== 0) throw new Error(`meshpilot bootstrap for ${proxy.name} failed: ${errors}`);
    written.push(flags.output ?? '');
  }
  return written;
}

async function main(): Promise<void> {
  const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
  const tokenKubeconfig = env('TOKEN_KUBECONFIG', '/shared/cluster-a.kubeconfig');
  await waitForFile(tokenKubeconfig, 60_000);
  const kubeconfigYaml = await readFile(tokenKubeconfig, 'utf8');
  const written = await writeComposeBootstraps({
    proxies: await readComposeProxies(env('PROXIES', resolve('examples/compose/proxies.yaml'))),
    outDir: env('OUT_DIR', '/bootstrap'),
    envoyDir: env('ENVOY_DIR', '/bootstrap'),
    caRootCert: env('CA_ROOT_CERT', '/ca/root-cert.pem'),
    xdsAddress: env('XDS_ADDRESS', 'meshpilot:15012'),
    registerToken: (token, proxy) => registerKubeSimToken(kubeconfigYaml, token, proxy.namespace, proxy.serviceAccount),
  });
  process.stdout.write(`wrote ${written.join(', ')}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bootstrap-init failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
