import type { Http2Floor } from '../http2-floor.ts';
import { KIB, MIB } from '../proc-stats.ts';
import type { ServerOutcome } from './push-suite.ts';
import { round } from './result.ts';

/**
 * Scenario (d) in parts (issue #16: "measured at steady state after a forced GC and reported apart from
 * what the push leaves in the allocator"), from one Node.js server's forced-GC samples before its
 * fleet came, with the fleet idle, and after every stream closed:
 * (i) what its JavaScript holds per stream (heapUsed, external), (ii) what Node.js's HTTP/2 keeps
 * natively per connection (measured on a bare node:http2 server, see http2-floor.ts: no server can
 * keep less per connection), (iii) RSS per stream, and (iv) RSS after the streams closed over RSS before
 * they came: what the push (and the closed connections) left in the allocator.
 */
export interface IdleMemoryParts {
  /** (iii) RSS per idle stream after a forced GC, KiB. */
  readonly rssKiB: number | null;
  /** (i) V8 heap in use per stream, KiB. */
  readonly heapKiB: number | null;
  /** (i) external memory per stream (Buffers and what native objects report to V8), KiB. */
  readonly externalKiB: number | null;
  readonly arrayBuffersKiB: number | null;
  /** rssKiB − heapKiB − externalKiB: native memory and allocator growth per stream, KiB. */
  readonly restKiB: number | null;
  /** (ii) Node.js HTTP/2 per idle connection on a bare node:http2 server, same Node.js. */
  readonly http2Floor: Http2Floor | null;
  /** (iv) RSS after every stream closed (forced GC) − RSS before the fleet (forced GC), MiB. */
  readonly leftAfterCloseMiB: number | null;
  /** glibc's main arena (`[heap]`) RSS before the fleet, with it idle and after it closed, MiB. */
  readonly mainArenaMiB: {
    readonly idle: number | null;
    readonly loaded: number | null;
    readonly afterClose: number | null;
  } | null;
}

const mib = (bytes: number | undefined): number | null => (bytes === undefined ? null : round(bytes / MIB));

export function idleMemoryParts(o: ServerOutcome, streams: number, floor: Http2Floor | null): IdleMemoryParts {
  const perStream = (bytes: number | undefined): number | null =>
    bytes === undefined ? null : round(bytes / streams / KIB, 1);
  const rss = o.rssForcedGc;
  const usage = o.usageForcedGc;
  const rssKiB = perStream(rss ? rss.loadedBytes - rss.idleBytes : undefined);
  const heapKiB = perStream(usage ? usage.loaded.heapUsed - usage.idle.heapUsed : undefined);
  const externalKiB = perStream(usage ? usage.loaded.external - usage.idle.external : undefined);
  const arena = o.mainArenaForcedGc;
  return {
    rssKiB,
    heapKiB,
    externalKiB,
    arrayBuffersKiB: perStream(usage ? usage.loaded.arrayBuffers - usage.idle.arrayBuffers : undefined),
    restKiB:
      rssKiB === null || heapKiB === null || externalKiB === null ? null : round(rssKiB - heapKiB - externalKiB, 1),
    http2Floor: floor,
    leftAfterCloseMiB:
      rss && o.rssAfterCloseForcedGcBytes !== undefined ? mib(o.rssAfterCloseForcedGcBytes - rss.idleBytes) : null,
    mainArenaMiB: arena
      ? { idle: mib(arena.idle), loaded: mib(arena.loaded), afterClose: mib(arena.afterClose) }
      : null,
  };
}
