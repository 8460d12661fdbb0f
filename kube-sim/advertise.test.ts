import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubeSimCommand } from './command.ts';
import type { KubeSim } from './index.ts';
import { advertiseKubeconfig, runAdvertisedKubeSim } from './advertise.ts';

interface KubeconfigDoc {
  clusters: { cluster: Record<string, unknown> }[];
}

async function namespaces(kubeconfigYaml: string): Promise<string[]> {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml);
  const list = await config.makeApiClient(CoreV1Api).listNamespace();
  return list.items.map((n) => n.metadata?.name ?? '');
}

describe('kube-sim --advertise-address', () => {
  let dir: string;
  let sim: KubeSim;
  let kubeconfigPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-advertise-'));
    kubeconfigPath = join(dir, 'cluster-a.kubeconfig');
    sim = await runAdvertisedKubeSim(
      {
        manifests: dir,
        kubeconfigOut: kubeconfigPath,
        host: '127.0.0.1',
        port: 0,
        handleSignals: false,
        logger: pino({ level: 'silent' }),
        advertiseAddress: '127.0.0.1',
      },
      runKubeSimCommand,
    );
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rewrites the server of every cluster and asks for the name kube-sim certificates always carry', () => {
    const doc = parse(advertiseKubeconfig(sim.kubeconfig, 'kube-a', 6443)) as KubeconfigDoc;
    expect(doc.clusters[0]?.cluster).toMatchObject({ server: 'https://kube-a:6443', 'tls-server-name': 'localhost' });
    expect(doc.clusters[0]?.cluster['certificate-authority-data']).toBe(Buffer.from(sim.caCertPem).toString('base64'));
    expect(
      (parse(advertiseKubeconfig(sim.kubeconfig, 'fd00::1', 6443)) as KubeconfigDoc).clusters[0]?.cluster['server'],
    ).toBe('https://[fd00::1]:6443');
  });

  it('leaves only the advertised kubeconfig, which client-node uses against the simulator', async () => {
    const yaml = await readFile(kubeconfigPath, 'utf8');
    expect((parse(yaml) as KubeconfigDoc).clusters[0]?.cluster).toMatchObject({
      server: `https://127.0.0.1:${sim.port}`,
      'tls-server-name': 'localhost',
    });
    await expect(access(`${kubeconfigPath}.listen-address`)).rejects.toThrow();
    await expect(access(`${kubeconfigPath}.tmp`)).rejects.toThrow();
    expect(await namespaces(yaml)).toContain('default');
  });

  it('depends on tls-server-name being honoured: a name outside the certificate is refused', async () => {
    const doc = parse(await readFile(kubeconfigPath, 'utf8')) as KubeconfigDoc;
    for (const entry of doc.clusters) entry.cluster['tls-server-name'] = 'not-in-the-certificate';
    await expect(namespaces(stringify(doc))).rejects.toThrow();
  });
});
