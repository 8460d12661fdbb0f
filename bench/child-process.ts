import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Forks a TypeScript entry of the bench through tsx, from the repository root (where tsx resolves). */

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function forkTs(
  entry: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; stdio: ForkOptions['stdio'] },
): ChildProcess {
  return fork(entry, [...args], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: options.stdio,
  });
}
