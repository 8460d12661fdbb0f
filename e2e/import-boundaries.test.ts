import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The messages of the import-boundary rule for `code` as if it were the file at `path` (nothing is written). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the import graph is one-directional (npm run lint enforces it)', () => {
  it('the ADS streams (server/xds) import no model, translator, generator or cache module', async () => {
    for (const target of [
      '../../model/types.ts',
      '../../translators/eds.ts',
      '../generators/index.ts',
      '../cache/xds-cache.ts',
    ]) {
      const errors = await boundaryErrors(
        'server/xds/probe.ts',
        `import type { X } from '${target}';\nexport type Y = X;\n`,
      );
      expect(errors, target).toEqual([expect.stringContaining('server/xds (the ADS streams)')]);
    }
    expect(
      await boundaryErrors(
        'server/xds/probe.ts',
        `import type { X } from './resource-source.ts';\nexport type Y = X;\n`,
      ),
    ).toEqual([]);
  });

  it('translators import no I/O and no server module; pure helpers such as isIP stay allowed', async () => {
    expect(
      await boundaryErrors(
        'translators/probe.ts',
        `import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n`,
      ),
    ).toEqual([expect.stringContaining('translators are pure')]);
    expect(
      await boundaryErrors('translators/probe.ts', `import { connect } from 'node:net';\nexport const f = connect;\n`),
    ).toHaveLength(1);
    expect(
      await boundaryErrors('translators/probe.ts', `import { isIP } from 'node:net';\nexport const f = isIP;\n`),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'translators/sidecar/probe.ts',
        `import { x } from '../../server/registry/reduce.ts';\nexport const f = x;\n`,
      ),
    ).toHaveLength(1);
  });

  it('model imports no translator or server module; generators import no cache', async () => {
    expect(
      await boundaryErrors('model/probe.ts', `import { x } from '../translators/eds.ts';\nexport const f = x;\n`),
    ).toHaveLength(1);
    expect(
      await boundaryErrors(
        'server/generators/probe.ts',
        `import { x } from '../cache/xds-cache.ts';\nexport const f = x;\n`,
      ),
    ).toHaveLength(1);
  });

  it('the tools beside the server (cli/, agent/, kube-sim/, pki/) reach server/ only through serve and validate; demo/ only through serve', async () => {
    for (const folder of ['cli', 'agent', 'kube-sim'])
      expect(
        await boundaryErrors(
          `${folder}/probe.ts`,
          `import { x } from '../server/registry/reduce.ts';\nexport const f = x;\n`,
        ),
        folder,
      ).toEqual([expect.stringContaining('do not import server/')]);
    expect(
      await boundaryErrors('pki/probe.ts', `import { x } from '../server/registry/reduce.ts';\nexport const f = x;\n`),
    ).toEqual([expect.stringContaining('pki/ is shared')]);
    expect(
      await boundaryErrors(
        'cli/probe.ts',
        `import { x } from '../server/cli/serve-command.ts';\nexport const f = x;\n`,
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'demo/probe.ts',
        `import { x } from '../server/cli/validate-command.ts';\nexport const f = x;\n`,
      ),
    ).toEqual([expect.stringContaining('demo/ starts the control plane')]);
    expect(
      await boundaryErrors(
        'demo/probe.ts',
        `import { x } from '../server/cli/serve-command.ts';\nexport const f = x;\n`,
      ),
    ).toEqual([]);
  });

  it('tests may wire anything', async () => {
    expect(
      await boundaryErrors(
        'server/xds/probe.test.ts',
        `import { x } from '../../model/types.ts';\nexport const f = x;\n`,
      ),
    ).toEqual([]);
  });
});
