import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AdsTestClient, node } from '../../e2e/support/ads-client.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';
import { loadConfig } from '../config/load.ts';
import { startRuntime, type Runtime } from '../runtime.ts';
import { makeTempDir } from '../../pki/test-support.ts';

describe('runtime with a security section', () => {
  let temp: { dir: string; cleanup: () => Promise<void> };
  const running: Runtime[] = [];
  const clients: AdsTestClient[] = [];

  beforeEach(async () => {
    temp = await makeTempDir();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const runtime of running.splice(0)) await runtime.stop();
    await temp.cleanup();
  });

  async function start(listen: Record<string, string | boolean>): Promise<Runtime> {
    const path = join(temp.dir, 'meshpilot.yaml');
    await writeFile(
      path,
      stringify({
        listen: { admin: '127.0.0.1:0', ...listen },
        security: { caDir: './ca', servingDnsNames: ['localhost'] },
        logLevel: 'silent',
      }),
    );
    const loaded = await loadConfig(path);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    const runtime = await startRuntime(loaded.config, { logger: pino({ level: 'silent' }), defaultMetrics: false });
    running.push(runtime);
    return runtime;
  }

  it('serves SDS on the TLS port, honours `listen.xds: off`, and keeps its CA across restarts', async () => {
    const runtime = await start({ xds: 'off', xdsTls: '127.0.0.1:0' });
    expect(runtime.xdsPort).toBeUndefined();
    expect(runtime.xdsTlsPort).toBeGreaterThan(0);
    const rootPem = await readFile(join(temp.dir, 'ca', 'root-cert.pem'), 'utf8');
    expect(runtime.security?.ca.rootCertPem()).toBe(rootPem);

    const issued = await runtime.security!.ca.issueWorkloadCertificate({ namespace: 'ns1', serviceAccount: 'sa1' });
    const client = new AdsTestClient(`127.0.0.1:${runtime.xdsTlsPort}`, 'sotw', {
      credentials: credentials.createSsl(
        Buffer.from(rootPem),
        Buffer.from(issued.privateKeyPem),
        Buffer.from(issued.certChainPem),
      ),
      channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
    });
    clients.push(client);
    client.send({
      node: node('sidecar~10.1.0.7~app-1.ns1~ns1.svc.cluster.local', { SERVICE_ACCOUNT: 'sa1' }),
      type_url: SECRET_TYPE,
      resource_names: ['ROOTCA'],
    });
    const response = await client.responses.next(5_000);
    expect(response.names).toEqual(['ROOTCA']);

    await runtime.stop();
    running.splice(0);
    const again = await start({ xds: '127.0.0.1:0', xdsTls: '127.0.0.1:0' });
    expect(again.xdsPort).toBeGreaterThan(0);
    expect(again.security?.ca.source).toBe('loaded-self-signed');
    expect(again.security?.ca.rootCertPem()).toBe(rootPem);
  });
});
