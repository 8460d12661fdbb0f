import type { ChildProcess } from 'node:child_process';
import { benchEntry, forkTs } from './child-process.ts';
import { nowMs, sleep } from './clock.ts';
import type {
  ConvergenceResult,
  FleetReply,
  FleetRequest,
  OpenResult,
  StatusResult,
  StreamInfo,
  SummariesResult,
  TrackedChange,
} from './fleet-protocol.ts';

/**
 * The orchestrator's side of the simulated proxies: forks load-client workers (each up to
 * `streamsPerWorker` streams, in its own process so clients never count as server CPU), spreads
 * sidecar indices over them and aggregates their answers. Every call has a timeout.
 */

const WORKER_ENTRY = benchEntry('ads-load-client');

export interface FleetOptions {
  readonly streams: number;
  readonly streamsPerWorker: number;
  readonly tracked: readonly string[];
  readonly keepNames?: boolean;
  readonly windowBytes?: number;
  /** Offset of the first sidecar index (keeps node ids unique when two fleets share a server). */
  readonly firstIndex?: number;
}

class WorkerHandle {
  readonly child: ChildProcess;
  readonly indices: readonly number[];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: FleetReply) => void; timer: NodeJS.Timeout }>();
  exited: string | undefined;

  constructor(indices: readonly number[]) {
    this.indices = indices;
    this.child = forkTs(WORKER_ENTRY, [], {
      nodeFlags: ['--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: FleetReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    });
    // A send racing the worker's exit: the call's own timeout or the exit handler answers it.
    this.child.on('error', () => undefined);
    this.child.on('exit', (code, signal) => {
      this.exited = `load-client worker exited (code ${String(code)}, signal ${String(signal)})`;
      for (const [id, waiter] of this.pending) {
        clearTimeout(waiter.timer);
        waiter.resolve({ id, ok: false, error: this.exited });
      }
      this.pending.clear();
    });
  }

  call<T>(request: Omit<FleetRequest, 'id'>, timeoutMs: number): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    // A worker that closed its IPC channel (closed already, exiting) has no 'exit' yet: sending would throw.
    if (!this.child.connected) return Promise.reject(new Error('load-client worker disconnected'));
    this.nextId += 1;
    const id = this.nextId;
    return new Promise<FleetReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, error: `worker did not answer ${request.op} within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.child.send({ ...request, id });
    }).then((reply) => {
      if (!reply.ok) throw new Error(reply.error ?? `worker ${request.op} failed`);
      return reply.result as T;
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export class LoadFleet {
  private readonly workers: WorkerHandle[];
  readonly streams: number;
  private readonly options: FleetOptions;

  constructor(options: FleetOptions) {
    if (options.streams < 1 || options.streamsPerWorker < 1)
      throw new RangeError('MESHPILOT_BENCH_ERR_FLEET: streams and streamsPerWorker must be ≥ 1');
    this.options = options;
    this.streams = options.streams;
    const first = options.firstIndex ?? 0;
    const count = Math.ceil(options.streams / options.streamsPerWorker);
    this.workers = Array.from({ length: count }, (_, w) => {
      const indices: number[] = [];
      for (let i = w; i < options.streams; i += count) indices.push(first + i);
      return new WorkerHandle(indices);
    });
  }

  pids(): number[] {
    return this.workers.flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  /** Connects every stream (headers sent, no request yet). */
  async open(port: number, timeoutMs: number): Promise<OpenResult> {
    const results = await Promise.all(
      this.workers.map((worker, w) =>
        worker.call<OpenResult>(
          {
            op: 'open',
            open: {
              host: '127.0.0.1',
              port,
              localAddress: `127.0.${1 + Math.floor(w / 200)}.${10 + (w % 200)}`,
              indices: worker.indices,
              tracked: this.options.tracked,
              keepNames: this.options.keepNames ?? false,
              connectTimeoutMs: Math.max(1_000, timeoutMs - 1_000),
              ...(this.options.windowBytes ? { windowBytes: this.options.windowBytes } : {}),
            },
          },
          timeoutMs,
        ),
      ),
    );
    return {
      connected: results.reduce((sum, r) => sum + r.connected, 0),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      ...(results.find((r) => r.firstError) ? { firstError: results.find((r) => r.firstError)!.firstError! } : {}),
    };
  }

  /** Every stream sends its first request (CDS wildcard); returns when the orders went out (nowMs). */
  async start(): Promise<number> {
    const at = nowMs();
    await Promise.all(this.workers.map((w) => w.call({ op: 'start' }, 30_000)));
    return at;
  }

  async status(timeoutMs = 30_000): Promise<StatusResult> {
    const results = await Promise.all(this.workers.map((w) => w.call<StatusResult>({ op: 'status' }, timeoutMs)));
    const done = results.filter((r) => r.lastInitialDoneAt !== undefined).map((r) => r.lastInitialDoneAt!);
    const failure = results.find((r) => r.firstFailure)?.firstFailure;
    return {
      streams: results.reduce((s, r) => s + r.streams, 0),
      initialDone: results.reduce((s, r) => s + r.initialDone, 0),
      failed: results.reduce((s, r) => s + r.failed, 0),
      closed: results.reduce((s, r) => s + r.closed, 0),
      responses: results.reduce((s, r) => s + r.responses, 0),
      bytesReceived: results.reduce((s, r) => s + r.bytesReceived, 0),
      ...(done.length > 0 ? { lastInitialDoneAt: Math.max(...done) } : {}),
      ...(failure ? { firstFailure: failure } : {}),
    };
  }

  /**
   * Waits (bounded) until every stream ACKed its initial CDS+EDS, a stream failed, or the timeout.
   * `onPoll` runs between polls (the orchestrator samples server memory there).
   */
  async waitInitial(
    timeoutMs: number,
    onPoll?: () => void | Promise<void>,
  ): Promise<{ status: StatusResult; timedOut: boolean }> {
    const deadline = nowMs() + timeoutMs;
    let status = await this.status();
    for (let poll = 0; poll < 100_000 && nowMs() < deadline; poll += 1) {
      if (status.initialDone + status.failed >= this.streams) return { status, timedOut: false };
      if (this.workers.some((w) => w.exited)) break;
      await onPoll?.();
      await sleep(100);
      status = await this.status();
    }
    return { status, timedOut: status.initialDone + status.failed < this.streams };
  }

  async summaries(): Promise<SummariesResult> {
    const results = await Promise.all(this.workers.map((w) => w.call<SummariesResult>({ op: 'summaries' }, 60_000)));
    const digests: Record<string, Record<string, number>> = {};
    for (const result of results) {
      for (const [view, byDigest] of Object.entries(result.digests)) {
        const target = (digests[view] ??= {});
        for (const [digest, count] of Object.entries(byDigest)) target[digest] = (target[digest] ?? 0) + count;
      }
    }
    const names = Object.assign({}, ...results.map((r) => r.names ?? {})) as Record<
      number,
      { cds: string[]; eds: string[] }
    >;
    return {
      digests,
      cdsNames: results.flatMap((r) => r.cdsNames),
      edsNames: results.flatMap((r) => r.edsNames),
      initialMs: results.flatMap((r) => r.initialMs),
      ...(Object.keys(names).length > 0 ? { names } : {}),
    };
  }

  async convergence(changes: readonly TrackedChange[]): Promise<ConvergenceResult> {
    const results = await Promise.all(
      this.workers.map((w) => w.call<ConvergenceResult>({ op: 'convergence', changes }, 120_000)),
    );
    return {
      latencies: results.flatMap((r) => r.latencies),
      perChange: changes.map((change, i) => ({
        resource: change.resource,
        converged: results.reduce((s, r) => s + (r.perChange[i]?.converged ?? 0), 0),
        missing: results.reduce((s, r) => s + (r.perChange[i]?.missing ?? 0), 0),
      })),
    };
  }

  private owner(index: number): WorkerHandle | undefined {
    return this.workers.find((w) => w.indices.includes(index));
  }

  async setPaused(indices: readonly number[], paused: boolean): Promise<void> {
    await Promise.all(
      indices.map((index) => this.owner(index)?.call({ op: paused ? 'pause' : 'resume', indices: [index] }, 10_000)),
    );
  }

  async streamInfo(indices: readonly number[]): Promise<StreamInfo[]> {
    const infos = await Promise.all(
      indices.map(
        (index) => this.owner(index)?.call<StreamInfo[]>({ op: 'streamInfo', indices: [index] }, 10_000) ?? [],
      ),
    );
    return infos.flat();
  }

  /** Closes every stream and ends the workers (killed if they do not exit within 5 s). */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.call({ op: 'close' }, 10_000)));
    const exited = await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<boolean>((resolve) => {
            if (w.exited) return resolve(true);
            const timer = setTimeout(() => resolve(false), 5_000);
            w.child.once('exit', () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
      ),
    );
    this.workers.forEach((w, i) => (exited[i] ? undefined : w.kill()));
  }

  kill(): void {
    for (const worker of this.workers) worker.kill();
  }
}
