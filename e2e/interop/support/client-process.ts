import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * One interop client process (grpc-go, grpc-java, grpc-python or grpc-js) driven through its line protocol:
 * the process prints {"version"} once, then answers each JSON command on stdin with one JSON line on stdout.
 *   {"op":"rpcs","count","intervalMs","deadlineMs","metadata"} -> {"byPeer":{server:n},"byCode":{code:n},"failures","errors"}
 *   {"op":"csds"} -> {"csds":"<base64 envoy.service.status.v3.ClientStatusResponse>"}
 */
export interface RpcsCommand {
  readonly count: number;
  readonly intervalMs?: number;
  readonly deadlineMs?: number;
  readonly metadata?: Record<string, string>;
}

export interface RpcsResult {
  readonly byPeer: Record<string, number>;
  /** Failed RPCs per gRPC status code (numeric, e.g. "7" for PERMISSION_DENIED). */
  readonly byCode: Record<string, number>;
  readonly failures: number;
  readonly errors: readonly string[];
}

export interface ProcessCommand {
  readonly file: string;
  readonly args: readonly string[];
}

const START_TIMEOUT_MS = 30_000;

export class ClientProcess {
  private readonly pending: ((line: string) => void)[] = [];
  private readonly stderr: string[] = [];
  private exited: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.pending.shift()?.(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 40) this.stderr.shift();
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited (${signal ?? code})`;
      for (const waiter of this.pending.splice(0)) waiter('');
    });
  }

  /** Starts the client and waits for its version line. */
  static async start(
    name: string,
    command: ProcessCommand,
    env: Record<string, string>,
  ): Promise<{ client: ClientProcess; version: string }> {
    const child = spawn(command.file, [...command.args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const client = new ClientProcess(child, name);
    const hello = await client.nextLine(START_TIMEOUT_MS, 'start');
    const version = (hello as { version?: unknown }).version;
    if (typeof version !== 'string') throw new Error(`${name}: unexpected first line ${JSON.stringify(hello)}`);
    return { client, version };
  }

  async rpcs(command: RpcsCommand): Promise<RpcsResult> {
    const perRpcMs = (command.deadlineMs ?? 5_000) + (command.intervalMs ?? 0);
    // Bounded (a stuck client fails the test instead of hanging it), yet long enough for every RPC to run into its
    // deadline on a loaded machine.
    const timeoutMs = Math.min(180_000, 15_000 + command.count * perRpcMs);
    const reply = await this.request({ op: 'rpcs', ...command }, timeoutMs);
    const result = reply as Partial<RpcsResult>;
    if (typeof result.failures !== 'number' || typeof result.byPeer !== 'object' || result.byPeer === null)
      throw new Error(`${this.name}: bad rpcs reply ${JSON.stringify(reply)}`);
    return {
      byPeer: result.byPeer,
      byCode: result.byCode ?? {},
      failures: result.failures,
      errors: result.errors ?? [],
    };
  }

  /** The client's own CSDS ClientStatusResponse, serialized. */
  async csds(): Promise<Buffer> {
    const reply = (await this.request({ op: 'csds' }, 15_000)) as { csds?: unknown };
    if (typeof reply.csds !== 'string') throw new Error(`${this.name}: bad csds reply ${JSON.stringify(reply)}`);
    return Buffer.from(reply.csds, 'base64');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  private async request(command: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    if (this.exited) throw new Error(`${this.name} ${this.exited}: ${this.stderr.join('\n')}`);
    const line = this.nextLine(timeoutMs, String(command.op));
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    const reply = (await line) as { error?: unknown };
    if (typeof reply.error === 'string') throw new Error(`${this.name}: ${reply.error}`);
    return reply;
  }

  private nextLine(timeoutMs: number, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.pending.indexOf(waiter);
        if (index >= 0) this.pending.splice(index, 1);
        reject(
          new Error(`${this.name}: no answer to ${what} within ${timeoutMs} ms; stderr:\n${this.stderr.join('\n')}`),
        );
      }, timeoutMs);
      const waiter = (line: string) => {
        clearTimeout(timer);
        if (!line) {
          reject(
            new Error(`${this.name} ${this.exited ?? 'closed'} during ${what}; stderr:\n${this.stderr.join('\n')}`),
          );
          return;
        }
        try {
          resolve(JSON.parse(line));
        } catch {
          reject(new Error(`${this.name}: not JSON: ${line}`));
        }
      };
      this.pending.push(waiter);
    });
  }
}
