import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { harnessDir } from '../../support/harness.ts';

/**
 * An xDS-enabled gRPC server process (interop/grpc-go or interop/grpc-java `bin/server`): it binds --address, asks
 * meshpilot for its inbound Listener and serves the greeter as --id only once that Listener arrived. It prints
 * {"version","listening"} and then one {"mode":"serving"|"not-serving","error"?} line per serving-mode change.
 */
export type ServerName = 'grpc-go' | 'grpc-java';

const SERVING_TIMEOUT_MS = 30_000;

export class ServerProcess {
  private readonly modes: { mode: string; error?: string }[] = [];
  private readonly stderr: string[] = [];
  private waiters: (() => void)[] = [];
  version = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { version?: string; mode?: string; error?: string };
        if (parsed.version) this.version = parsed.version;
        if (parsed.mode) this.modes.push({ mode: parsed.mode, ...(parsed.error ? { error: parsed.error } : {}) });
      } catch {
        this.stderr.push(`stdout: ${line}`);
      }
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.shift();
    });
    child.on('exit', () => {
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static start(
    name: ServerName,
    address: string,
    id: string,
    bootstrapFile: string,
    creds = 'insecure',
  ): ServerProcess {
    const child = spawn(`${harnessDir(name)}/bin/server`, [`--address=${address}`, `--id=${id}`, `--creds=${creds}`], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrapFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child, name);
  }

  /** Resolves once the server reported SERVING (it got a usable inbound Listener); bounded. */
  async serving(timeoutMs = SERVING_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.modes.at(-1)?.mode.toLowerCase() !== 'serving') {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `${this.name} server not serving (modes: ${JSON.stringify(this.modes)}); stderr:\n${this.stderr.join('\n')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The last lines the server wrote on stderr (its gRPC logs). */
  logs(): string {
    return this.stderr.join('\n');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
