import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { harnessDir } from '../support/harness.ts';
import { runProcess } from '../support/run-process.ts';

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
  return runProcess(istioctlBinary(), args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home } });
}

export interface KubeletPortForward {
  readonly port: number;
  stop(): void;
}

/**
 * interop/istioctl/kubelet: a kubelet's port-forward alone, so pods/portforward through a real
 * kube-apiserver reaches loopback targets listed in `routesFile` (re-read at every forward).
 */
export function startKubeletPortForward(routesFile: string): Promise<KubeletPortForward> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(harnessDir('istioctl'), 'kubelet-portforward'), ['--routes', routesFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('kubelet-portforward printed no port within 10 s'));
    }, 10_000);
    let out = '';
    child.on('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve({ port: Number(line.trim()), stop: () => child.kill('SIGKILL') });
      }
    });
  });
}
