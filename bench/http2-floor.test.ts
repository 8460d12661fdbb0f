import { describe, expect, it } from 'vitest';
import { measureHttp2Floor } from './http2-floor.ts';
import { mappedRssOf } from './proc-stats.ts';

describe('measureHttp2Floor', () => {
  it("measures what a bare node:http2 server keeps per idle connection, most of it outside V8's heap", async () => {
    const floor = await measureHttp2Floor(300, 60_000);
    expect(floor.connections).toBe(300);
    // nghttp2 alone allocates about 23 KiB per session; a floor near 0 would mean the connections were not held.
    expect(floor.nativeKiB).toBeGreaterThan(10);
    expect(floor.rssKiB).toBeCloseTo(floor.jsKiB + floor.nativeKiB, 1);
  }, 90_000);

  it('refuses a connection count it would not bound', async () => {
    await expect(measureHttp2Floor(0, 1_000)).rejects.toThrow(/MESHPILOT_BENCH_ERR_ARGS/);
  });
});

describe('mappedRssOf', () => {
  it("sums RSS of glibc's main arena, anonymous and file mappings apart", () => {
    const smaps = [
      '55d0c0a00000-55d0c4a00000 rw-p 00000000 00:00 0                          [heap]',
      'Size:              65536 kB',
      'Rss:               40000 kB',
      '7f0000000000-7f0000400000 rw-p 00000000 00:00 0 ',
      'Rss:                1024 kB',
      '7f0000400000-7f0000500000 r-xp 00000000 08:01 1234                       /usr/lib/libc.so.6',
      'Rss:                 512 kB',
      '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]',
      'Rss:                 132 kB',
    ].join('\n');
    expect(mappedRssOf(smaps)).toEqual({ brkHeap: 40000 * 1024, anonymous: (1024 + 132) * 1024, file: 512 * 1024 });
  });
});
