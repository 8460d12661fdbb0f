/** Rewrites the README's divergence table from e2e/oracle/divergences.yaml: `npx tsx e2e/oracle/write-readme-table.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { DIVERGENCES_FILE, README_FILE, TABLE_BEGIN, TABLE_END } from './corpus.ts';
import { loadDivergences, renderTable } from './divergences.ts';

const readme = readFileSync(README_FILE, 'utf8');
const begin = readme.indexOf(TABLE_BEGIN);
const end = readme.indexOf(TABLE_END);
if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} ... ${TABLE_END} section`);
const table = renderTable(loadDivergences(DIVERGENCES_FILE));
writeFileSync(README_FILE, `${readme.slice(0, begin + TABLE_BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`);
