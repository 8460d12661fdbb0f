import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKubeSimCommand } from './command.ts';
import { startKubeSim, type KubeSim } from './index.ts';
import { simRequest } from './test-support.ts';

describe('runKubeSimCommand and manifest loading', () => {
  let dir: string;
  let sim: KubeSim | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-cmd-'));
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every YAML file recursively, writes the kubeconfig and logs where it listens', async () => {
    await mkdir(join(dir, 'm', 'nested'), { recursive: true });
    await writeFile(
      join(dir, 'm', 'a.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n',
    );
    await writeFile(
      join(dir, 'm', 'nested', 'b.yml'),
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: node-1, labels: {topology.kubernetes.io/zone: z1}}}\n- {apiVersion: security.istio.io/v1, kind: PeerAuthentication, metadata: {name: default, namespace: istio-system}, spec: {mtls: {mode: STRICT}}}\n',
    );
    await writeFile(join(dir, 'm', 'notes.txt'), 'not yaml: [');
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const kubeconfigOut = join(dir, 'out', 'kubeconfig');
    await mkdir(join(dir, 'out'));
    sim = await runKubeSimCommand({ manifests: join(dir, 'm'), kubeconfigOut, port: 0, logger, handleSignals: false });

    expect(sim.get('v1', 'Node', '', 'node-1')?.metadata['labels']).toEqual({ 'topology.kubernetes.io/zone': 'z1' });
    expect(sim.get('security.istio.io/v1', 'PeerAuthentication', 'istio-system', 'default')).toBeDefined();
    expect(sim.get('v1', 'Namespace', '', 'team')).toBeDefined();
    expect(sim.skippedManifests).toEqual([expect.objectContaining({ file: 'a.yaml', document: 1 })]);

    const written = await readFile(kubeconfigOut, 'utf8');
    expect(written).toBe(sim.kubeconfig);
    expect((await stat(kubeconfigOut)).mode & 0o777).toBe(0o600);
    const config = parse(written) as { 'current-context': string; clusters: { cluster: { server: string } }[] };
    expect(config['current-context']).toBe('kube-sim');
    expect(config.clusters[0]?.cluster.server).toBe(sim.url);

    const log = lines.join('');
    expect(log).toContain(sim.url);
    expect(log).toContain(kubeconfigOut);
    expect(log).toContain('Deployment');
    expect(log).not.toContain(sim.adminToken);
  });

  it('names the file of a manifest it cannot read', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\n');
    await expect(startKubeSim({ manifestsDir: dir })).rejects.toThrow(
      /MESHPILOT_ERR_KUBESIM_BAD_MANIFEST: .*bad\.yaml \(document 1\): metadata\.name is required/,
    );
    await writeFile(join(dir, 'bad.yaml'), 'kind: [\n');
    await expect(startKubeSim({ manifestsDir: dir })).rejects.toThrow(
      /MESHPILOT_ERR_KUBESIM_BAD_MANIFEST: .*bad\.yaml.*invalid YAML/,
    );
    await expect(startKubeSim({ manifestsDir: join(dir, 'missing') })).rejects.toThrow(/cannot read manifests folder/);
  });

  it('stops and restarts on the same port through the admin path', async () => {
    sim = await startKubeSim({});
    const started = sim;
    const stop = await simRequest(started, {
      method: 'POST',
      path: '/_sim/faults/stop?restartAfterMs=100',
      token: started.adminToken,
    });
    expect(stop.status).toBe(200);
    const refused = await simRequest(started, { path: '/version', token: started.adminToken }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).toBe('refused');
    let answered = false;
    for (let attempt = 0; attempt < 50 && !answered; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answered = await simRequest(started, { path: '/version', token: started.adminToken }).then(
        (r) => r.status === 200,
        () => false,
      );
    }
    expect(answered).toBe(true);
    expect(
      (await simRequest(started, { method: 'POST', path: '/_sim/faults/stop', token: started.adminToken })).status,
    ).toBe(400);
  });
});
