import type * as grpc from '@grpc/grpc-js';
import { sayHello } from './helloworld.ts';

/** Steady RPC load from one client: counts successes per server and keeps every failure. */
export class RpcLoad {
  readonly served = new Map<string, number>();
  readonly failures: string[] = [];
  private sent = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(client: grpc.Client, options: { intervalMs?: number; maxRpcs?: number; maxMs?: number } = {}) {
    const intervalMs = options.intervalMs ?? 10;
    const maxRpcs = options.maxRpcs ?? 5_000;
    const deadline = Date.now() + (options.maxMs ?? 60_000);
    this.done = (async () => {
      while (this.running && this.sent < maxRpcs && Date.now() < deadline) {
        this.sent += 1;
        try {
          const reply = await sayHello(client, `rpc-${this.sent}`, 5_000);
          this.served.set(reply.server, (this.served.get(reply.server) ?? 0) + 1);
        } catch (error: unknown) {
          this.failures.push(error instanceof Error ? error.message : String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  total(): number {
    return [...this.served.values()].reduce((sum, n) => sum + n, 0) + this.failures.length;
  }

  /** Waits until `count` more RPCs completed (bounded by `timeoutMs`). */
  async next(count: number, timeoutMs = 15_000): Promise<void> {
    const target = this.total() + count;
    const deadline = Date.now() + timeoutMs;
    while (this.total() < target) {
      if (Date.now() > deadline)
        throw new Error(`load stalled: ${this.total()} of ${target} RPCs within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Snapshot of per-server counts, to compare what was served before and after an event. */
  counts(): Map<string, number> {
    return new Map(this.served);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export function servedSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [server, n] of after)
    if (n - (before.get(server) ?? 0) > 0) out.set(server, n - (before.get(server) ?? 0));
  return out;
}
