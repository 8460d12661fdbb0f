import { readFileSync } from 'node:fs';
import { createServer, type ServerHttp2Stream } from 'node:http2';

/**
 * Child of http2-floor.ts: a bare node:http2 server, no gRPC library and no state of its own. Every
 * stream gets response headers and, for each DATA chunk it sends, an empty gRPC message; streams stay
 * open. On `{ op: 'measure' }` it runs two full GCs (it is started with --expose-gc) and answers with
 * its VmRSS and process.memoryUsage().
 */

const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);
const streams = new Set<ServerHttp2Stream>();

// As grpc-js sets it for its servers (Node's default limit would refuse sessions under load).
const server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
server.on('stream', (stream) => {
  streams.add(stream);
  stream.on('close', () => streams.delete(stream));
  stream.on('error', () => undefined);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
  stream.on('data', () => stream.write(EMPTY_MESSAGE));
});

function rssBytes(): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

const collect = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: { op?: string }) => {
  if (message.op !== 'measure') return;
  collect?.();
  collect?.();
  // A moment for the freed memory to reach the allocator (V8 frees some pages in a background task).
  setTimeout(() => {
    const { heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({
      streams: streams.size,
      rss: rssBytes(),
      heapUsed,
      external,
      arrayBuffers,
      gc: collect !== undefined,
    });
  }, 300);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
});
