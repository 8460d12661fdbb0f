import type { ChildProcess } from 'node:child_process';
import { connect, type ClientHttp2Session } from 'node:http2';
import { benchEntry, forkTs } from './child-process.ts';
import { nowMs } from './clock.ts';
import { stopChild } from './meshpilot-server.ts';
import { KIB } from './proc-stats.ts';

/**
 * What Node.js's HTTP/2 itself keeps per idle connection, measured on a bare node:http2 server
 * (http2-floor-server.ts) in the same Node.js as meshpilot: N connections with one open stream each,
 * one small request and one empty gRPC message answered, as an idle ADS stream has (one HTTP/2
 * connection per stream). Scenario (d) reports it beside meshpilot's own figures: meshpilot's
 * streams cannot cost less than this, whatever it does with its objects. `native` is the part of RSS
 * outside the JavaScript heap and external memory: nghttp2's session (its own allocations), the
 * C++ session, stream and socket objects, libuv's handle. Kernel socket buffers are not in RSS.
 */

export interface Http2Floor {
  readonly connections: number;
  /** RSS per connection after two forced GCs, KiB. */
  readonly rssKiB: number;
  /** heapUsed + external per connection, KiB (Node's http2/net JavaScript objects). */
  readonly jsKiB: number;
  /** rssKiB − jsKiB: native memory per connection. */
  readonly nativeKiB: number;
}

interface Sample {
  readonly streams: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly gc: boolean;
}

/** Request headers and a first request of `requestBytes` (gRPC-framed), as a simulated sidecar sends. */
const HEADERS = {
  ':method': 'POST',
  ':path': '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  'content-type': 'application/grpc',
  te: 'trailers',
};

function nextMessage<T>(child: ChildProcess, accept: (m: unknown) => m is T, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no answer from the bare HTTP/2 server within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: unknown): void => {
      if (accept(m)) done(undefined, m);
    };
    const onExit = (): void => done(new Error('the bare HTTP/2 server exited'));
    function done(error: Error | undefined, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const isSample = (m: unknown): m is Sample => typeof m === 'object' && m !== null && 'rss' in m && 'streams' in m;
const isPort = (m: unknown): m is { port: number } =>
  typeof m === 'object' && m !== null && 'port' in m && typeof m.port === 'number';

/** Opens one connection with one stream, sends the request, resolves at the first answer. */
function openIdleStream(port: number, request: Buffer, sessions: ClientHttp2Session[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    sessions.push(session);
    session.on('error', reject);
    const stream = session.request(HEADERS);
    stream.on('error', reject);
    stream.once('data', () => resolve());
    stream.on('data', () => undefined);
    stream.write(request);
  });
}

export async function measureHttp2Floor(
  connections: number,
  timeoutMs: number,
  requestBytes = 2_000,
): Promise<Http2Floor> {
  if (!Number.isInteger(connections) || connections < 1 || connections > 20_000)
    throw new Error(`MESHPILOT_BENCH_ERR_ARGS: the HTTP/2 floor takes 1..20000 connections, got ${connections}`);
  const deadline = nowMs() + timeoutMs;
  const left = (): number => Math.max(1_000, deadline - nowMs());
  const child = forkTs(benchEntry('http2-floor-server'), [], {
    nodeFlags: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  const sessions: ClientHttp2Session[] = [];
  try {
    const { port } = await nextMessage(child, isPort, left());
    const measure = async (): Promise<Sample> => {
      const answer = nextMessage(child, isSample, left());
      child.send({ op: 'measure' });
      return answer;
    };
    const before = await measure();
    if (!before.gc) throw new Error('the bare HTTP/2 server cannot force a GC (no --expose-gc)');
    const request = Buffer.alloc(5 + requestBytes, 1);
    request.writeUInt8(0, 0);
    request.writeUInt32BE(requestBytes, 1);
    // In batches, so the connections do not all queue on the listen backlog at once; bounded in time.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('HTTP/2 floor: connections timed out')), left());
    });
    try {
      for (let i = 0; i < connections; i += 100) {
        const size = Math.min(100, connections - i);
        await Promise.race([
          Promise.all(Array.from({ length: size }, () => openIdleStream(port, request, sessions))),
          timedOut,
        ]);
      }
    } finally {
      clearTimeout(timer);
    }
    const after = await measure();
    if (after.streams !== connections)
      throw new Error(`HTTP/2 floor: the server holds ${after.streams} streams, expected ${connections}`);
    const per = (bytes: number): number => Math.round((bytes / connections / KIB) * 10) / 10;
    const rssKiB = per(after.rss - before.rss);
    const jsKiB = per(after.heapUsed + after.external - before.heapUsed - before.external);
    return { connections, rssKiB, jsKiB, nativeKiB: Math.round((rssKiB - jsKiB) * 10) / 10 };
  } finally {
    for (const session of sessions) session.destroy();
    await stopChild(child, 2_000);
  }
}
