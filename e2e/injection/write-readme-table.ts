/** Rewrites the README's injection divergence table from e2e/injection/divergences.yaml: `npx tsx e2e/injection/write-readme-table.ts`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { README_FILE } from '../oracle/corpus.ts';
import {
  INJECTION_TABLE_BEGIN,
  INJECTION_TABLE_END,
  loadInjectionDivergences,
  renderInjectionTable,
} from './divergences.ts';

const readme = readFileSync(README_FILE, 'utf8');
const begin = readme.indexOf(INJECTION_TABLE_BEGIN);
const end = readme.indexOf(INJECTION_TABLE_END);
if (begin < 0 || end < begin)
  throw new Error(`README.md has no ${INJECTION_TABLE_BEGIN} ... ${INJECTION_TABLE_END} section`);
const table = renderInjectionTable(loadInjectionDivergences());
writeFileSync(
  README_FILE,
  `${readme.slice(0, begin + INJECTION_TABLE_BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`,
);
