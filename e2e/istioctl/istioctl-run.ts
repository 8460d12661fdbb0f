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
