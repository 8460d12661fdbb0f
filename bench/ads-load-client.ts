import { AdsStream, SubscriptionCache } from './ads-stream.ts';
import { convergenceLatency } from './convergence.ts';
import type {
  ConvergenceResult,
  FleetReply,
  FleetRequest,
  OpenArgs,
  OpenResult,
  StatusResult,
  StreamInfo,
  SummariesResult,
} from './fleet-protocol.ts';
import { sidecarNode, viewKeyOf } from './views.ts';

/**
 * A load-client worker (run with child_process.fork): opens its share of simulated Envoy streams
 * and answers the orchestrator's requests over IPC. It holds no timers of its own; every wait is
 * bounded by the orchestrator.
 */

const CONNECT_BATCH = 100;

class LoadClientWorker {
  private readonly streams = new Map<number, AdsStream>();
  private readonly views = new Map<number, string>();
  private readonly subscriptions = new SubscriptionCache();

  async open(args: OpenArgs): Promise<OpenResult> {
    const tracked = new Set(args.tracked);
    let connected = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (let i = 0; i < args.indices.length; i += CONNECT_BATCH) {
      const batch = args.indices.slice(i, i + CONNECT_BATCH);
      const outcomes = await Promise.allSettled(
        batch.map(async (index) => {
          const node = sidecarNode(index);
          const stream = new AdsStream({
            subscriptions: this.subscriptions,
            host: args.host,
            port: args.port,
            localAddress: args.localAddress,
            node,
            tracked,
            keepNames: args.keepNames,
            ...(args.windowBytes ? { windowBytes: args.windowBytes } : {}),
          });
          this.streams.set(index, stream);
          this.views.set(
            index,
            viewKeyOf({ network: node.metadata.NETWORK ?? '', region: node.locality.region, zone: node.locality.zone }),
          );
          await stream.connect(args.connectTimeoutMs);
        }),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') connected += 1;
        else {
          failed += 1;
          firstError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
        }
      }
    }
    return { connected, failed, ...(firstError ? { firstError } : {}) };
  }

  start(): null {
    for (const stream of this.streams.values()) if (!stream.closed) stream.start();
    return null;
  }

  status(): StatusResult {
    let initialDone = 0;
    let failed = 0;
    let closed = 0;
    let responses = 0;
    let bytesReceived = 0;
    let lastInitialDoneAt: number | undefined;
    let firstFailure: string | undefined;
    for (const stream of this.streams.values()) {
      if (stream.initialDoneAt !== undefined) {
        initialDone += 1;
        lastInitialDoneAt = Math.max(lastInitialDoneAt ?? -Infinity, stream.initialDoneAt);
      }
      if (stream.failure !== undefined) {
        failed += 1;
        firstFailure ??= stream.failure;
      }
      if (stream.closed) closed += 1;
      responses += stream.responses;
      bytesReceived += stream.bytesReceived;
    }
    return {
      streams: this.streams.size,
      initialDone,
      failed,
      closed,
      responses,
      bytesReceived,
      ...(lastInitialDoneAt !== undefined ? { lastInitialDoneAt } : {}),
      ...(firstFailure ? { firstFailure } : {}),
    };
  }

  summaries(): SummariesResult {
    const digests: Record<string, Record<string, number>> = {};
    const cdsNames: number[] = [];
    const edsNames: number[] = [];
    const initialMs: number[] = [];
    const names: Record<number, { cds: string[]; eds: string[] }> = {};
    for (const [index, stream] of this.streams) {
      const summary = stream.summary;
      if (!summary) continue;
      const view = this.views.get(index) ?? '';
      const byDigest = (digests[view] ??= {});
      byDigest[summary.namesDigest] = (byDigest[summary.namesDigest] ?? 0) + 1;
      cdsNames.push(summary.cdsNames);
      edsNames.push(summary.edsNames);
      if (stream.startedAt !== undefined && stream.initialDoneAt !== undefined)
        initialMs.push(stream.initialDoneAt - stream.startedAt);
      if (summary.names) names[index] = summary.names;
    }
    return { digests, cdsNames, edsNames, initialMs, ...(Object.keys(names).length > 0 ? { names } : {}) };
  }

  convergence(changes: NonNullable<FleetRequest['changes']>): ConvergenceResult {
    const latencies: number[] = [];
    const perChange = changes.map((change) => {
      let converged = 0;
      let missing = 0;
      for (const stream of this.streams.values()) {
        if (!stream.isSubscribed(change.resource)) continue;
        const latency = convergenceLatency(stream.tracked.get(change.resource), change.writtenAt);
        if (latency === undefined) missing += 1;
        else {
          converged += 1;
          latencies.push(latency);
        }
      }
      return { resource: change.resource, converged, missing };
    });
    return { latencies, perChange };
  }

  setPaused(indices: readonly number[], paused: boolean): null {
    for (const index of indices) {
      const stream = this.streams.get(index);
      if (paused) stream?.pause();
      else stream?.resume();
    }
    return null;
  }

  streamInfo(indices: readonly number[]): StreamInfo[] {
    return indices.flatMap((index) => {
      const stream = this.streams.get(index);
      if (!stream) return [];
      return [
        {
          index,
          bytesReceived: stream.bytesReceived,
          responses: stream.responses,
          cdsVersion: stream.cdsVersion,
          edsVersion: stream.lastEdsVersion,
          closed: stream.closed,
          ...(stream.failure ? { failure: stream.failure } : {}),
        },
      ];
    });
  }

  close(): null {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    return null;
  }

  async handle(request: FleetRequest): Promise<FleetReply['result']> {
    switch (request.op) {
      case 'open':
        if (!request.open) throw new Error('open without arguments');
        return this.open(request.open);
      case 'start':
        return this.start();
      case 'status':
        return this.status();
      case 'summaries':
        return this.summaries();
      case 'convergence':
        return this.convergence(request.changes ?? []);
      case 'pause':
        return this.setPaused(request.indices ?? [], true);
      case 'resume':
        return this.setPaused(request.indices ?? [], false);
      case 'streamInfo':
        return this.streamInfo(request.indices ?? []);
      case 'close':
        return this.close();
    }
  }
}

function main(): void {
  if (!process.send)
    throw new Error('MESHPILOT_BENCH_ERR_WORKER: ads-load-client.ts must be started with child_process.fork');
  const worker = new LoadClientWorker();
  process.on('message', (message: FleetRequest) => {
    worker.handle(message).then(
      (result) => process.send?.({ id: message.id, ok: true, result } satisfies FleetReply),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        } satisfies FleetReply),
    );
    if (message.op === 'close') setTimeout(() => process.disconnect(), 50);
  });
  process.on('disconnect', () => {
    worker.close();
    setTimeout(() => process.exit(0), 100).unref();
  });
}

main();
