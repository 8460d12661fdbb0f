import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { harnessDir } from '../support/harness.ts';

/** Istio's own istioctl (istio.io/istio at the pinned version), built by interop/istioctl/build.sh. */
export function istioctlBinary(): string {
  return join(harnessDir('istioctl'), 'istioctl');
}

export interface IstioctlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs istioctl with `args` (HOME in `home`: istioctl reads ~/.istioctl/config.yaml); killed after 60 s. */
export function istioctl(args: readonly string[], home: string): Promise<IstioctlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(istioctlBinary(), args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
