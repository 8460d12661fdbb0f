import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, writeCluster } from '../../e2e/support/mesh-fixture.ts';
import { runValidate } from './validate-command.ts';

const SEED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'seed', 'meshpilot.yaml');

async function validate(config: string, proxyOutput: boolean): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runValidate(config, { write: (line: string) => void lines.push(line.trimEnd()) }, { proxyOutput });
  return { code, lines };
}

describe('meshpilot validate --proxy-output', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir('validate-output');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('translates the bundled seed mesh for its proxies and finds every resource valid', async () => {
    const { code, lines } = await validate(SEED, true);
    expect(lines[0]).toMatch(/^proxy output OK: \d+ resources for 6 proxy views satisfy validate\.rules$/);
    expect(code).toBe(0);
  });

  it('an EndpointSlice port of 70000 is dropped at the door: validate warns, and the proxy output stays valid', async () => {
    // Before issue 13 point 3 this port reached EDS (port_value breaks uint32.lte) and only --proxy-output saw it.
    await writeCluster(join(dir.path, 'a'), [
      { name: 'hello', port: 5000, targetPort: 70_000, endpoints: [{ ip: '10.0.0.1' }] },
    ]);
    const config = join(dir.path, 'meshpilot.yaml');
    await writeFile(config, stringify({ clusters: [{ name: 'a', manifests: './a/' }] }));
    const plain = await validate(config, false);
    expect(plain.code).toBe(0);
    expect(
      plain.lines.some((l) => /^warning: kube cluster a: .*70000.*MESHPILOT_WARN_REGISTRY_INPUT_DROPPED/.test(l)),
    ).toBe(true);
    expect(plain.lines.at(-1)).toMatch(/serve would drop \d+ invalid values? \(warnings above\)$/);
    const { code, lines } = await validate(config, true);
    expect(code).toBe(0);
    expect(lines.some((l) => l.startsWith('proxy output OK'))).toBe(true);
  });

  it('checks Istio objects as serve would: an invalid one is an error naming its field', async () => {
    await writeCluster(join(dir.path, 'a'), [{ name: 'hello', port: 5000, endpoints: [{ ip: '10.0.0.1' }] }]);
    await writeCluster(join(dir.path, 'istio'), []);
    await writeFile(
      join(dir.path, 'istio', 'istio.yaml'),
      stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'split', namespace: 'default' },
        spec: {
          hosts: ['hello'],
          http: [
            {
              route: [
                { destination: { host: 'hello' }, weight: 30 },
                { destination: { host: 'hello' }, weight: 30 },
              ],
            },
          ],
        },
      }),
    );
    const config = join(dir.path, 'meshpilot.yaml');
    await writeFile(
      config,
      stringify({ clusters: [{ name: 'a', manifests: './a/' }], config: [{ manifests: './istio/' }] }),
    );
    const { code, lines } = await validate(config, false);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(
      /^VirtualService default\/split: spec\.http\[0\]\.route: the weights of the 2 destinations sum to 60.*\[MESHPILOT_ERR_ISTIO_CONFIG_INVALID\]$/,
    );
  });
});
