import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, type KubeSim } from './index.ts';

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const kubectl = findOnPath('kubectl');
if (!kubectl)
  console.warn('kube-sim kubectl tests SKIPPED: kubectl is not on PATH (Debian package kubernetes-client provides it)');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(!kubectl)('kube-sim with kubectl', () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfigPath: string;

  const run = (...args: string[]): Promise<Run> => runWith(kubeconfigPath, ...args);
  const runWith = (kubeconfig: string, ...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        kubectl ?? 'kubectl',
        ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
        { timeout: 20_000, env: { ...process.env, HOME: dir } },
        (error, stdout, stderr) => {
          const code = error && typeof error.code === 'number' ? error.code : error ? 1 : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
    await writeFile(
      join(dir, 'cluster.yaml'),
      [
        'apiVersion: v1\nkind: Service\nmetadata: {name: helloworld, namespace: sample, labels: {app: helloworld}}\nspec:\n  ports: [{name: http, port: 5000}]\n  selector: {app: helloworld}',
        'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: helloworld-x1, namespace: sample, labels: {kubernetes.io/service-name: helloworld}}\naddressType: IPv4\nports: [{name: http, port: 5000, protocol: TCP}]\nendpoints: [{addresses: [10.1.2.3]}]',
      ].join('\n---\n'),
    );
    sim = await startKubeSim({ manifestsDir: dir, clusterName: 'kubectl-sim' });
    kubeconfigPath = join(dir, 'kubeconfig');
    await sim.writeKubeconfig(kubeconfigPath);
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets services and endpoint slices across namespaces', async () => {
    const result = await run('get', 'svc,endpointslices', '-A');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/sample\s+service\/helloworld\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+5000\/TCP/);
    expect(result.stdout).toMatch(
      /sample\s+endpointslice\.discovery\.k8s\.io\/helloworld-x1\s+IPv4\s+5000\s+10\.1\.2\.3/,
    );
  });

  it('applies a file (create, then update) and deletes it', async () => {
    sim.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    const file = join(dir, 'web.yaml');
    const manifest = (targetPort: number, extraPort: string): string =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: demo, labels: {app: web}}\nspec:\n  ports:\n  - {name: http, port: 80, targetPort: ${targetPort}}\n${extraPort}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: demo}\nspec:\n  hosts: [web]\n  http: [{route: [{destination: {host: web, port: {number: ${targetPort}}}}]}]\n`;
    await writeFile(file, manifest(8080, '  - {name: grpc, port: 90}\n'));
    const created = await run('apply', '-f', file);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('service/web created');
    expect(created.stdout).toContain('virtualservice.networking.istio.io/web created');

    await writeFile(file, manifest(8081, ''));
    const updated = await run('apply', '-f', file);
    expect(updated.stderr).toBe('');
    expect(updated.stdout).toContain('service/web configured');
    expect(updated.stdout).toContain('virtualservice.networking.istio.io/web configured');
    const service = sim.get('v1', 'Service', 'demo', 'web');
    expect(service?.['spec']).toMatchObject({ ports: [{ name: 'http', port: 80, targetPort: 8081, protocol: 'TCP' }] });
    expect(JSON.stringify(service)).not.toContain('$setElementOrder');
    expect(sim.get('networking.istio.io/v1', 'VirtualService', 'demo', 'web')?.['spec']).toMatchObject({
      http: [{ route: [{ destination: { port: { number: 8081 } } }] }],
    });

    const unchanged = await run('apply', '-f', file);
    expect(unchanged.stdout).toContain('service/web unchanged');

    const deleted = await run('delete', '-f', file);
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toContain('service "web" deleted');
    expect(sim.get('v1', 'Service', 'demo', 'web')).toBeUndefined();
    expect(sim.get('networking.istio.io/v1', 'VirtualService', 'demo', 'web')).toBeUndefined();
  });

  it('is told Forbidden with the read-only token', async () => {
    await sim.writeKubeconfig(join(dir, 'readonly'), sim.readOnlyToken);
    const result = await runWith(join(dir, 'readonly'), 'delete', 'svc', 'helloworld', '-n', 'sample');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('forbidden');
    expect(sim.get('v1', 'Service', 'sample', 'helloworld')).toBeDefined();
  });

  it('streams watch events as table rows to kubectl get -w', async () => {
    const child = spawn(
      kubectl ?? 'kubectl',
      [
        '--kubeconfig',
        kubeconfigPath,
        '--cache-dir',
        join(dir, 'cache'),
        'get',
        'svc',
        '-n',
        'sample',
        '-w',
        '--output-watch-events',
      ],
      {
        env: { ...process.env, HOME: dir },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const waitFor = async (pattern: RegExp): Promise<void> => {
        for (let attempt = 0; attempt < 200 && !pattern.test(output); attempt += 1)
          await new Promise((resolve) => setTimeout(resolve, 25));
        expect(output).toMatch(pattern);
      };
      await waitFor(/ADDED\s+helloworld\s+ClusterIP/);
      sim.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'helloworld', namespace: 'sample', labels: { app: 'helloworld' } },
        spec: { ports: [{ name: 'http', port: 5001 }] },
      });
      await waitFor(/MODIFIED\s+helloworld\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+5001\/TCP/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
