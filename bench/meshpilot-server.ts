import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MESHPILOT_BIN, REPO_ROOT } from './child-process.ts';
import { sleep } from './clock.ts';

/**
 * meshpilot in its own process, as users run it: `node bin/meshpilot.js serve --config FILE` (the compiled
 * build; bin/meshpilot-ts.js, the sources through tsx, when the bench itself runs from its sources)
 * on ephemeral loopback ports, which it reports in its "meshpilot serving" log line.
 */

const LOG_TAIL = 20;

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly xdsPort: number;
  /** Lines of the server's output, for error reports. */
  tail(): string[];
  stop(): Promise<void>;
}

function portOf(address: unknown): number | undefined {
  if (typeof address !== 'string') return undefined;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Ends a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(5_000)]);
  }
}

export async function startMeshpilot(
  configPath: string,
  timeoutMs: number,
  options: { nodeFlags?: readonly string[]; env?: NodeJS.ProcessEnv; bin?: string; serveArgs?: readonly string[] } = {},
): Promise<ServerProcess & { adminUrl: string }> {
  // MESHPILOT_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each meshpilot process (for finding hot spots).
  const profileDir = process.env.MESHPILOT_BENCH_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      ...(options.nodeFlags ?? []),
      options.bin ?? MESHPILOT_BIN,
      'serve',
      '--config',
      configPath,
      '--xds',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      ...(options.serveArgs ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: REPO_ROOT,
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    },
  );
  const tail: string[] = [];
  const remember = (line: string): void => {
    tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (tail.length > LOG_TAIL) tail.shift();
  };
  createInterface({ input: child.stderr! }).on('line', remember);
  const serving = new Promise<{ xdsPort: number; adminUrl: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.includes('"meshpilot serving"')) {
        if (line.includes('"level":50') || line.includes('"level":40') || !line.startsWith('{')) remember(line);
        return;
      }
      try {
        const entry = JSON.parse(line) as { xds?: unknown; admin?: unknown };
        const xdsPort = portOf(entry.xds);
        const adminPort = portOf(entry.admin);
        if (xdsPort === undefined || adminPort === undefined)
          reject(new Error(`meshpilot serving line without ports: ${line}`));
        else resolve({ xdsPort, adminUrl: `http://127.0.0.1:${adminPort}` });
      } catch (error: unknown) {
        reject(
          new Error(`meshpilot serving line is not JSON: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    });
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `meshpilot exited before serving (code ${String(code)}, signal ${String(signal)}): ${tail.join(' | ')}`,
        ),
      ),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`meshpilot did not log "meshpilot serving" within ${timeoutMs} ms: ${tail.join(' | ')}`)),
      timeoutMs,
    );
  });
  serving.catch(() => undefined);
  try {
    const { xdsPort, adminUrl } = await Promise.race([serving, timeout]);
    clearTimeout(timer);
    return {
      name: 'meshpilot',
      pid: child.pid!,
      xdsPort,
      adminUrl,
      tail: () => [...tail],
      stop: () => stopChild(child),
    };
  } catch (error: unknown) {
    clearTimeout(timer);
    await stopChild(child, 2_000);
    throw error;
  }
}
