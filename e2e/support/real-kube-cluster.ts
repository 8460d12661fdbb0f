import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { harnessDir } from './harness.ts';
import { createKubePki, type KubePki } from './real-kube-pki.ts';
import { errorMessage } from '../../common/error-message.ts';
import { runProcess } from './run-process.ts';

/**
 * Real Kubernetes control planes for tests, as Kubernetes' own envtest runs them: etcd and
 * kube-apiserver (built by interop/kube-apiserver/build.sh) on loopback ephemeral ports, TLS from a
 * per-run CA, service-account tokens signed by a per-cluster key with a per-cluster issuer, RBAC and
 * Node authorization on, an admin identity by client certificate (group system:masters). No
 * controller-manager runs: nothing fills token Secrets, makes EndpointSlices or collects garbage.
 *
 * Every process runs in its own process group under a watchdog shell that kills the group when this
 * process goes away (its stdin pipe closes), so a crashed test run leaves nothing behind; stop()
 * and the exit hook kill the groups outright.
 */

export interface RealKubeClusterOptions {
  readonly name: string;
  /** Loopback address the API server and etcd listen on (default 127.0.0.1). */
  readonly host?: string;
  /**
   * kube-apiserver --min-request-timeout: watches without timeoutSeconds end after 1-2x this many
   * seconds, and the watch cache sends a BOOKMARK shortly before. Default: the API server's 1800.
   */
  readonly minRequestTimeoutSeconds?: number;
  /** false: --watch-cache=false, so watches go to etcd and a compacted resourceVersion answers 410. */
  readonly watchCache?: boolean;
}

export interface RealKubeBinaries {
  readonly kubeApiserver: string;
  readonly etcd: string;
  /** Istio's CRD manifest (crd-all.gen.yaml) in the Go module cache. */
  readonly istioCrds: string;
}

export function realKubeBinaries(): RealKubeBinaries {
  const dir = harnessDir('kube-apiserver');
  return {
    kubeApiserver: join(dir, 'bin', 'kube-apiserver'),
    etcd: join(dir, 'bin', 'etcd'),
    istioCrds: readFileSync(join(dir, 'istio-crds.path'), 'utf8').trim(),
  };
}

const KUBECTL = '/usr/bin/kubectl';
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [ResponseStarted, ResponseComplete]
rules:
  - level: Metadata
    verbs: [list, watch]
    resources: [{ group: discovery.k8s.io, resources: [endpointslices] }]
  - level: None
`;

/** One audit record: a list or watch of EndpointSlices as the API server received it. */
export interface AuditRequest {
  readonly verb: string;
  readonly requestURI: string;
  readonly user: { readonly username: string };
  readonly requestReceivedTimestamp: string;
}
// Runs "$@" in the background and kills the whole process group once stdin closes (the test process died).
const WATCHDOG = '"$@" </dev/null & read -r _; kill -KILL 0';
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child);
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts `binary args` in a fresh process group under the watchdog, output appended to `logPath`. */
function spawnGroup(binary: string, args: readonly string[], logPath: string): ChildProcess {
  installExitHook();
  const log = openSync(logPath, 'a');
  try {
    const child = spawn('bash', ['-c', WATCHDOG, 'watchdog', binary, ...args], {
      detached: true,
      stdio: ['pipe', log, log],
    });
    live.add(child);
    child.on('exit', () => live.delete(child));
    return child;
  } finally {
    closeSync(log);
  }
}

/** Kills the process group and waits (at most 10 s) until none of its processes is left. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  killGroup(child);
  live.delete(child);
  if (pid === undefined) return;
  for (let i = 0; i < 200 && groupAlive(pid); i += 1) await sleep(50);
  if (groupAlive(pid)) throw new Error(`process group ${pid} still alive 10 s after SIGKILL`);
}

/** A port free on `host` right now (the kernel's pick for port 0). */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export class RealKubeCluster {
  readonly name: string;
  readonly host: string;
  readonly dir: string;
  readonly url: string;
  readonly issuer: string;
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
  readonly pki: KubePki;
  readonly etcdUrl: string;
  private readonly binaries: RealKubeBinaries;
  private readonly apiServerArgs: readonly string[];
  private readonly etcdPeerPort: number;
  private etcd: ChildProcess | undefined;
  private apiServer: ChildProcess | undefined;
  /** Seconds from spawning kube-apiserver until /readyz answered ok, per start. */
  readonly apiServerStartSeconds: number[] = [];
  etcdStartSeconds = 0;

  private constructor(init: {
    name: string;
    host: string;
    dir: string;
    apiPort: number;
    etcdPort: number;
    etcdPeerPort: number;
    pki: KubePki;
    binaries: RealKubeBinaries;
    options: RealKubeClusterOptions;
  }) {
    this.name = init.name;
    this.host = init.host;
    this.dir = init.dir;
    this.pki = init.pki;
    this.binaries = init.binaries;
    this.url = `https://${init.host}:${init.apiPort}`;
    this.etcdUrl = `http://${init.host}:${init.etcdPort}`;
    this.etcdPeerPort = init.etcdPeerPort;
    this.issuer = `https://${init.name}.issuer.test`;
    this.kubeconfigPath = join(init.dir, 'admin.kubeconfig');
    this.kubeconfig = this.kubeconfigFor({
      'client-certificate-data': Buffer.from(init.pki.adminCertPem).toString('base64'),
      'client-key-data': Buffer.from(init.pki.adminKeyPem).toString('base64'),
    });
    const file = (name: string): string => join(init.dir, name);
    this.apiServerArgs = [
      `--etcd-servers=${this.etcdUrl}`,
      `--bind-address=${init.host}`,
      `--advertise-address=${init.host}`,
      `--secure-port=${init.apiPort}`,
      `--tls-cert-file=${file('serving.crt')}`,
      `--tls-private-key-file=${file('serving.key')}`,
      `--client-ca-file=${file('ca.crt')}`,
      `--service-account-issuer=${this.issuer}`,
      `--service-account-key-file=${file('service-account.key')}`,
      `--service-account-signing-key-file=${file('service-account.key')}`,
      '--authorization-mode=Node,RBAC',
      '--service-cluster-ip-range=10.96.0.0/16',
      // The reconciler would publish the advertise address (loopback) as the kubernetes Service's endpoint, which validation refuses.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--allow-privileged=true',
      // Who lists and watches EndpointSlices, from which resourceVersion (see auditEvents()).
      `--audit-policy-file=${file('audit-policy.yaml')}`,
      `--audit-log-path=${file('audit.log')}`,
      '--audit-log-format=json',
      ...(init.options.minRequestTimeoutSeconds !== undefined
        ? [`--min-request-timeout=${init.options.minRequestTimeoutSeconds}`]
        : []),
      ...(init.options.watchCache === false ? ['--watch-cache=false'] : []),
    ];
  }

  /** Generates the PKI, picks ports and starts etcd and kube-apiserver; resolves once /readyz is ok. */
  static async start(parentDir: string, options: RealKubeClusterOptions): Promise<RealKubeCluster> {
    const host = options.host ?? '127.0.0.1';
    const dir = join(parentDir, options.name);
    await mkdir(dir, { recursive: true });
    const [pki, apiPort, etcdPort, etcdPeerPort] = await Promise.all([
      createKubePki(options.name, host),
      freePort(host),
      freePort(host),
      freePort(host),
    ]);
    await Promise.all([
      writeFile(join(dir, 'ca.crt'), pki.caCertPem),
      writeFile(join(dir, 'serving.crt'), pki.servingCertPem),
      writeFile(join(dir, 'serving.key'), pki.servingKeyPem, { mode: 0o600 }),
      writeFile(join(dir, 'service-account.key'), pki.serviceAccountKeyPem, { mode: 0o600 }),
      writeFile(join(dir, 'audit-policy.yaml'), AUDIT_POLICY),
    ]);
    const cluster = new RealKubeCluster({
      name: options.name,
      host,
      dir,
      apiPort,
      etcdPort,
      etcdPeerPort,
      pki,
      binaries: realKubeBinaries(),
      options,
    });
    await writeFile(cluster.kubeconfigPath, cluster.kubeconfig, { mode: 0o600 });
    try {
      await cluster.startEtcd();
      await cluster.startApiServer();
    } catch (error: unknown) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** A kubeconfig for this API server (CA inline) with `user` (token or client-certificate-data/-key-data). */
  kubeconfigFor(user: Record<string, string>): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: this.name,
          cluster: {
            server: this.url,
            'certificate-authority-data': Buffer.from(this.pki.caCertPem).toString('base64'),
          },
        },
      ],
      users: [{ name: this.name, user }],
      contexts: [{ name: this.name, context: { cluster: this.name, user: this.name } }],
      'current-context': this.name,
    });
  }

  private async startEtcd(): Promise<void> {
    const started = Date.now();
    const peer = `http://${this.host}:${this.etcdPeerPort}`;
    this.etcd = spawnGroup(
      this.binaries.etcd,
      [
        '--name=default',
        `--data-dir=${join(this.dir, 'etcd-data')}`,
        `--listen-client-urls=${this.etcdUrl}`,
        `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
        '--unsafe-no-fsync',
        // Progress notifications move the API server's watch cache (and so its BOOKMARKs) to etcd's revision.
        '--watch-progress-notify-interval=1s',
        '--log-level=warn',
      ],
      join(this.dir, 'etcd.log'),
    );
    await this.waitFor(
      async () => {
        const answer = await fetch(`${this.etcdUrl}/health`).catch(() => undefined);
        return answer?.ok === true;
      },
      'etcd to answer /health',
      join(this.dir, 'etcd.log'),
      this.etcd,
    );
    this.etcdStartSeconds = (Date.now() - started) / 1000;
  }

  /** Starts (or restarts, on the same port) kube-apiserver and waits for /readyz. */
  async startApiServer(): Promise<void> {
    if (this.apiServer !== undefined) throw new Error(`kube-apiserver of ${this.name} is already running`);
    const started = Date.now();
    const log = join(this.dir, 'kube-apiserver.log');
    this.apiServer = spawnGroup(this.binaries.kubeApiserver, this.apiServerArgs, log);
    await this.waitFor(
      async () => (await this.get('/readyz').catch(() => undefined))?.status === 200,
      'kube-apiserver /readyz',
      log,
      this.apiServer,
    );
    this.apiServerStartSeconds.push((Date.now() - started) / 1000);
  }

  /** Kills kube-apiserver (etcd keeps the data); startApiServer() brings it back on the same address. */
  async stopApiServer(): Promise<void> {
    const child = this.apiServer;
    this.apiServer = undefined;
    if (child !== undefined) await stopGroup(child);
  }

  private async waitFor(
    probe: () => Promise<boolean>,
    what: string,
    log: string,
    child: ChildProcess,
    timeoutMs = 90_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${this.name}: the process exited while waiting for ${what}; log tail:\n${tail(log)}`);
      if (await probe()) return;
      await sleep(100);
    }
    throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; log tail:\n${tail(log)}`);
  }

  /** An HTTPS request to the API server as the admin (client certificate). */
  async request(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const url = new URL(path, this.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.pki.caCertPem,
          cert: this.pki.adminCertPem,
          key: this.pki.adminKeyPem,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
          timeout: 10_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get(path: string): Promise<HttpAnswer> {
    return this.request('GET', path);
  }

  /** A JSON API call as the admin that must succeed (2xx); returns the parsed answer. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const answer = await this.request(method, path, body);
    if (answer.status < 200 || answer.status > 299)
      throw new Error(`${this.name}: ${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    return JSON.parse(answer.body) as unknown;
  }

  /** Runs Debian's kubectl against this cluster as the admin (or with `kubeconfigPath`); stdin from `input`. */
  async kubectl(args: readonly string[], options: { input?: string; kubeconfigPath?: string } = {}): Promise<string> {
    const run = await runProcess(
      KUBECTL,
      [
        '--kubeconfig',
        options.kubeconfigPath ?? this.kubeconfigPath,
        '--cache-dir',
        join(this.dir, 'kubectl-cache'),
        ...args,
      ],
      { env: { ...process.env, HOME: this.dir }, input: options.input },
    );
    if (run.code === 0) return run.stdout;
    throw new Error(`kubectl ${args.join(' ')} on ${this.name} failed (${run.code}): ${run.stderr.trim()}`);
  }

  /**
   * `kubectl wait --for=condition=Established` on CRDs (`crd --all` or one `crd/<name>`). Right after an apply
   * a CRD may have no status conditions yet, and kubectl wait then fails at once ("conditions accessor
   * error: <nil>") instead of waiting: retried, bounded by 60 s.
   */
  async waitForCrdsEstablished(target: readonly string[] = ['crd', '--all']): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.kubectl(['wait', '--for=condition=Established', ...target, '--timeout=60s']);
        return;
      } catch (error) {
        const notYet = /accessor error/.test(errorMessage(error));
        if (!notYet || attempt >= 60 || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** `kubectl apply -f -` of these objects. */
  apply(objects: readonly Record<string, unknown>[], extraArgs: readonly string[] = []): Promise<string> {
    return this.kubectl(['apply', ...extraArgs, '-f', '-'], {
      input: objects.map((object) => stringify(object)).join('---\n'),
    });
  }

  /** etcd's current revision (its gRPC gateway, /v3/kv/range). */
  async etcdRevision(): Promise<number> {
    const answer = await fetch(`${this.etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
    });
    const json = (await answer.json()) as { header?: { revision?: string } };
    const revision = Number(json.header?.revision);
    if (!Number.isInteger(revision) || revision <= 0) throw new Error(`${this.name}: etcd revision unreadable`);
    return revision;
  }

  /** Compacts etcd at its current revision (physically): every older resourceVersion is gone. Returns it. */
  async compactEtcd(): Promise<number> {
    const revision = await this.etcdRevision();
    const answer = await fetch(`${this.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: String(revision), physical: true }),
    });
    if (!answer.ok) throw new Error(`${this.name}: etcd compaction answered ${answer.status}: ${await answer.text()}`);
    return revision;
  }

  /** The API server's Prometheus metrics text. */
  async metrics(): Promise<string> {
    const answer = await this.get('/metrics');
    if (answer.status !== 200) throw new Error(`${this.name}: /metrics answered ${answer.status}`);
    return answer.body;
  }

  /** Lists and watches of EndpointSlices received so far (audit log), oldest first. */
  async auditRequests(): Promise<AuditRequest[]> {
    const text = await readFile(join(this.dir, 'audit.log'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditRequest);
  }

  /** The API server's log so far. */
  apiServerLog(): Promise<string> {
    return readFile(join(this.dir, 'kube-apiserver.log'), 'utf8');
  }

  /** Kills kube-apiserver and etcd (their whole process groups). */
  async stop(): Promise<void> {
    await this.stopApiServer();
    const etcd = this.etcd;
    this.etcd = undefined;
    if (etcd !== undefined) await stopGroup(etcd);
  }
}

/** Starts clusters in parallel; if one fails, the others are stopped before the error is thrown. */
export async function startRealKubeClusters<const T extends readonly RealKubeClusterOptions[]>(
  dir: string,
  options: T,
): Promise<{ -readonly [K in keyof T]: RealKubeCluster }> {
  const results = await Promise.allSettled(options.map((o) => RealKubeCluster.start(dir, o)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((cluster) => cluster.stop()));
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return started as { -readonly [K in keyof T]: RealKubeCluster };
}
