import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The bench runs in one of two forms, and every process it starts runs in the same one: compiled
 * (`npm run bench`: dist/bench/*.js and bin/meshpilot.js, meshpilot as users run it) or from the
 * TypeScript sources through tsx (bench tests under vitest: bench/*.ts and bin/meshpilot-ts.js).
 */
export const COMPILED = import.meta.url.endsWith('.js');

/** The repository root (dist/bench/ is two folders below it, bench/ one). */
export const REPO_ROOT = fileURLToPath(new URL(COMPILED ? '../..' : '..', import.meta.url));

/** A sibling entry of the bench, e.g. `ads-load-client`, in the form this process runs in. */
export function benchEntry(name: string): string {
  return fileURLToPath(new URL(`./${name}.${COMPILED ? 'js' : 'ts'}`, import.meta.url));
}

/** The meshpilot command line entry in the same form. */
export const MESHPILOT_BIN = fileURLToPath(
  new URL(`${COMPILED ? '../..' : '..'}/bin/${COMPILED ? 'meshpilot.js' : 'meshpilot-ts.js'}`, import.meta.url),
);

/** Forks an entry of the bench from the repository root, through tsx when it is TypeScript. */
export function forkTs(
  entry: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; stdio: ForkOptions['stdio'] },
): ChildProcess {
  return fork(entry, [...args], {
    cwd: REPO_ROOT,
    execArgv: [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), ...(options.nodeFlags ?? [])],
    stdio: options.stdio,
  });
}
