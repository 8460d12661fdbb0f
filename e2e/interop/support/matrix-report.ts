import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientName } from './clients.ts';

/**
 * The interop matrix a run produced: client × scenario → pass / fail / not supported, with each client's version.
 * Written to .cache/interop/ (ignored) as matrix.json and matrix.md; the README's table is copied from a real run.
 */
export type Outcome = 'pass' | 'fail' | 'not supported';

export interface Cell {
  readonly outcome: Outcome;
  readonly detail?: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MATRIX_DIR = join(repoRoot, '.cache', 'interop');

export class MatrixReport {
  private readonly cells = new Map<string, Map<ClientName, Cell>>();
  private readonly versions = new Map<ClientName, string>();

  version(client: ClientName, version: string): void {
    this.versions.set(client, version);
  }

  record(scenario: string, client: ClientName, cell: Cell): void {
    const row = this.cells.get(scenario) ?? new Map<ClientName, Cell>();
    row.set(client, cell);
    this.cells.set(scenario, row);
  }

  /** Runs one cell's test body and records its outcome; a failure is recorded and rethrown (the test fails). */
  async run(scenario: string, client: ClientName, body: () => Promise<void | { notSupported: string }>): Promise<void> {
    try {
      const result = await body();
      this.record(
        scenario,
        client,
        result ? { outcome: 'not supported', detail: result.notSupported } : { outcome: 'pass' },
      );
    } catch (error: unknown) {
      this.record(scenario, client, {
        outcome: 'fail',
        detail: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  markdown(clients: readonly ClientName[]): string {
    const header = `| scenario | ${clients.map((c) => this.versions.get(c) ?? c).join(' | ')} |`;
    const rule = `| --- | ${clients.map(() => '---').join(' | ')} |`;
    const rows = [...this.cells].map(
      ([scenario, row]) =>
        `| ${scenario} | ${clients
          .map((c) => {
            const cell = row.get(c);
            if (!cell) return 'not run';
            return cell.outcome === 'not supported' ? `not supported: ${cell.detail ?? ''}` : cell.outcome;
          })
          .join(' | ')} |`,
    );
    return [header, rule, ...rows].join('\n');
  }

  write(clients: readonly ClientName[]): string {
    mkdirSync(MATRIX_DIR, { recursive: true });
    const json = {
      writtenAt: new Date().toISOString(),
      versions: Object.fromEntries(this.versions),
      cells: Object.fromEntries([...this.cells].map(([scenario, row]) => [scenario, Object.fromEntries(row)])),
    };
    writeFileSync(join(MATRIX_DIR, 'matrix.json'), `${JSON.stringify(json, null, 2)}\n`);
    const markdown = this.markdown(clients);
    writeFileSync(join(MATRIX_DIR, 'matrix.md'), `${markdown}\n`);
    return markdown;
  }
}
