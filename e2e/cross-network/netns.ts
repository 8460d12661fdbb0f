import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/**
 * Linux network namespaces for the cross-network test (needs root and `ip`): two networks that nothing routes
 * between, and a gateway host attached to both (forwarding off, so only a proxy on it joins them).
 */
export interface Netns {
  readonly a: string;
  readonly b: string;
  readonly gw: string;
  remove(): void;
}

/** Network A's hosts are in 10.77.1.0/24 (the gateway .1), network B's in 10.77.2.0/24 (the gateway .1). */
export const NET = {
  gatewayOnA: '10.77.1.1',
  gatewayOnB: '10.77.2.1',
  client: '10.77.1.10',
  localBackend: '10.77.1.20',
  remoteBackend: '10.77.2.20',
} as const;

function ip(args: readonly string[]): void {
  execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Why network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const probe = `mp-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return undefined;
  } catch (error: unknown) {
    return `ip netns add failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function createNetns(): Netns {
  const tag = `${process.pid % 100000}`;
  const ns = { a: `mpa-${tag}`, b: `mpb-${tag}`, gw: `mpgw-${tag}` };
  const remove = (): void => {
    for (const name of [ns.a, ns.b, ns.gw])
      try {
        ip(['netns', 'del', name]);
      } catch {
        // already gone
      }
  };
  try {
    for (const name of [ns.a, ns.b, ns.gw]) {
      ip(['netns', 'add', name]);
      ip(['-n', name, 'link', 'set', 'lo', 'up']);
    }
    // veth pairs: A <-> gateway, B <-> gateway (created in the gateway namespace, one end moved out).
    ip(['-n', ns.gw, 'link', 'add', 'to-a', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.a]);
    ip(['-n', ns.gw, 'link', 'add', 'to-b', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.b]);
    ip(['-n', ns.gw, 'addr', 'add', `${NET.gatewayOnA}/24`, 'dev', 'to-a']);
    ip(['-n', ns.gw, 'addr', 'add', `${NET.gatewayOnB}/24`, 'dev', 'to-b']);
    ip(['-n', ns.a, 'addr', 'add', `${NET.client}/24`, 'dev', 'eth0']);
    ip(['-n', ns.a, 'addr', 'add', `${NET.localBackend}/24`, 'dev', 'eth0']);
    ip(['-n', ns.b, 'addr', 'add', `${NET.remoteBackend}/24`, 'dev', 'eth0']);
    for (const [name, dev] of [
      [ns.gw, 'to-a'],
      [ns.gw, 'to-b'],
      [ns.a, 'eth0'],
      [ns.b, 'eth0'],
    ] as const)
      ip(['-n', name, 'link', 'set', dev, 'up']);
    // No default routes and forwarding off in the gateway: A and B cannot reach each other except through a proxy.
    execFileSync('ip', ['netns', 'exec', ns.gw, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=0'], { timeout: 10_000 });
  } catch (error: unknown) {
    remove();
    throw error;
  }
  return { ...ns, remove };
}

/** Runs a command inside a namespace. */
export function spawnIn(netns: string, file: string, args: readonly string[], cwd?: string): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns, file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
}

/** Whether a TCP connection from `netns` to host:port succeeds within 2 s (bash's /dev/tcp). */
export function canConnect(netns: string, host: string, port: number): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', netns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], {
      stdio: 'ignore',
      timeout: 5_000,
    });
    return true;
  } catch {
    return false;
  }
}
