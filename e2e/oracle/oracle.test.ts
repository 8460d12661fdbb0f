/**
 * The Istio oracle suite: every corpus mesh is translated by meshpilot and by Istio's own pilot
 * (interop/istio-oracle) for the same probe proxies; the answers are compared resource by resource
 * after normalisation (normalise.ts). A difference fails unless a row of divergences.yaml (the
 * README's divergence table) allows it, and a row that allows no difference fails too.
 * Re-run: npx vitest run e2e/oracle
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MeshAnswer } from './answer.ts';
import { compareAnswers, type ComparedResource, type Difference } from './compare.ts';
import { corpusMeshes, DIVERGENCES_FILE, ORACLE_DIR, README_FILE, readmeTable } from './corpus.ts';
import { loadDivergences, matches, renderTable, stalePaths, type Divergence } from './divergences.ts';
import { istioAnswer } from './istio-answer.ts';
import { meshpilotAnswer, meshpilotOptIns, readProbes } from './meshpilot-answer.ts';

const meshes = corpusMeshes();
// The comparison with Istio runs against the harness `npm run harnesses` built (or ISTIO_ORACLE=<binary>);
// every difference must be a row of divergences.yaml.
const oracleInRepo =
  process.env.ISTIO_ORACLE !== undefined ||
  existsSync(join(ORACLE_DIR, '..', '..', 'interop', 'istio-oracle', 'build.sh'));

function short(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? '-' : text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function describeDifference(d: Difference): string {
  return `${d.mesh} / ${d.probe} / ${d.type} ${d.resource} / ${d.path}: ${d.status} (istio ${short(d.istio)}, meshpilot ${short(d.meshpilot)})`;
}

describe('oracle corpus', () => {
  it('holds at least 20 meshes, each asked by several probe proxies', async () => {
    expect(meshes.length).toBeGreaterThanOrEqual(20);
    for (const mesh of meshes) expect((await readProbes(mesh.probes)).length, mesh.name).toBeGreaterThanOrEqual(3);
  });

  it('meshpilot answers every probe of every mesh from the files alone', async () => {
    for (const mesh of meshes) {
      const answer = await meshpilotAnswer(mesh.config, await readProbes(mesh.probes));
      for (const [probe, resources] of Object.entries(answer.probes)) {
        expect(resources.cds.length, `${mesh.name} ${probe}`).toBeGreaterThan(0);
      }
    }
  });

  it('the README divergence table is generated from divergences.yaml (npx tsx e2e/oracle/write-readme-table.ts)', () => {
    const rows = loadDivergences(DIVERGENCES_FILE);
    expect(readmeTable(readFileSync(README_FILE, 'utf8'))).toBe(renderTable(rows));
  });
});

describe.runIf(oracleInRepo)("meshpilot against Istio's own pilot", () => {
  const rows: Divergence[] = loadDivergences(DIVERGENCES_FILE);
  const compared: ComparedResource[] = [];
  const dumpDir = process.env.ORACLE_DUMP;

  for (const mesh of meshes) {
    it(`${mesh.name}: every difference is a row of the divergence table`, async () => {
      const probes = await readProbes(mesh.probes);
      const [istio, meshpilot]: [MeshAnswer, MeshAnswer] = await Promise.all([
        istioAnswer(mesh.config, mesh.probes),
        meshpilotAnswer(mesh.config, probes),
      ]);
      if (dumpDir) {
        mkdirSync(join(dumpDir, mesh.name), { recursive: true });
        writeFileSync(join(dumpDir, mesh.name, 'istio.json'), JSON.stringify(istio, null, 1));
        writeFileSync(join(dumpDir, mesh.name, 'meshpilot.json'), JSON.stringify(meshpilot, null, 1));
      }
      expect(istio.errors ?? [], 'the oracle could not load all of the mesh').toEqual([]);
      for (const probe of probes) expect(istio.probes[probe.name]?.errors ?? ['no answer'], probe.name).toEqual([]);
      const resources = compareAnswers(mesh.name, istio, meshpilot);
      compared.push(...resources);
      const unexplained = resources.flatMap((r) => r.differences).filter((d) => !rows.some((row) => matches(row, d)));
      expect(unexplained.map(describeDifference)).toEqual([]);
    }, 240_000);
  }

  it('every field a row of the divergence table names still differs (no stale rows or paths)', () => {
    expect(
      stalePaths(
        rows,
        compared.flatMap((r) => r.differences),
      ),
    ).toEqual([]);
  });

  it('explain names the opt-in of every opt-in row for a proxy whose clusters it changes', async () => {
    const optInRows = rows.filter((row) => row.optIn !== undefined);
    expect(optInRows.length).toBeGreaterThan(0);
    for (const row of optInRows) {
      const seen = compared.flatMap((r) => r.differences).filter((d) => matches(row, d));
      expect(seen.length, row.id).toBeGreaterThan(0);
      for (const d of seen.slice(0, 5)) {
        const mesh = meshes.find((m) => m.name === d.mesh)!;
        const probe = (await readProbes(mesh.probes)).find((p) => p.name === d.probe)!;
        const named = (await meshpilotOptIns(mesh.config, probe, d.resource)).filter((o) => o.cluster === d.resource);
        expect(
          named.map((o) => o.key),
          `${row.id}: explain for ${d.mesh}/${d.probe} ${d.resource}`,
        ).toContain(row.optIn);
      }
    }
  });

  afterAll(() => {
    const divergent = compared.filter((r) => r.differences.length > 0);
    const byRow = Object.fromEntries(
      rows.map((row) => [row.id, compared.flatMap((r) => r.differences).filter((d) => matches(row, d)).length]),
    );
    const summary = {
      meshes: meshes.length,
      probes: new Set(compared.map((r) => `${r.mesh}/${r.probe}`)).size,
      comparedResources: compared.length,
      matching: compared.length - divergent.length,
      divergent: divergent.length,
      differencesByRow: byRow,
    };
    const file = join(tmpdir(), 'meshpilot-oracle-summary.json');
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`oracle: ${JSON.stringify({ ...summary, differencesByRow: undefined })} (details: ${file})`);
  });
});
