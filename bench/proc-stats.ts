import { readdir, readFile } from 'node:fs/promises';

/** CPU and memory of another process, from /proc (Linux only; the bench says so when it is missing). */

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of `pid` in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks). */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** `pid` and every process descended from it (a `serve --processes N` primary and its workers). */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length && i < 10_000; i += 1) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** utime + stime summed over `pid`'s process tree. */
export async function treeCpuSeconds(pid: number): Promise<number | undefined> {
  const values = await Promise.all((await processTree(pid)).map(cpuSeconds));
  return values[0] === undefined ? undefined : values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
}

/** VmRSS summed over `pid`'s process tree. */
export async function treeRssBytes(pid: number): Promise<number | undefined> {
  const values = await Promise.all((await processTree(pid)).map(rssBytes));
  return values[0] === undefined ? undefined : values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
}

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status). */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Tracks the peak RSS of a process over the samples it is given. */
export class RssSampler {
  private readonly pid: number;
  peak = 0;
  last = 0;
  samples = 0;

  constructor(pid: number) {
    this.pid = pid;
  }

  async sample(): Promise<number> {
    const rss = (await rssBytes(this.pid)) ?? 0;
    this.last = rss;
    this.peak = Math.max(this.peak, rss);
    this.samples += 1;
    return rss;
  }
}

export const MIB = 1024 * 1024;
export const KIB = 1024;

/** Resident bytes of `pid` by kind of mapping (/proc/<pid>/smaps): glibc's main arena, other anonymous memory, files. */
export interface MappedRss {
  /** `[heap]`: the brk heap, glibc's main malloc arena. */
  readonly brkHeap: number;
  /** Anonymous mappings: V8's heap pages, glibc's thread arenas and mmapped chunks, thread stacks. */
  readonly anonymous: number;
  /** File-backed mappings (the node binary, shared libraries). */
  readonly file: number;
}

export function mappedRssOf(smaps: string): MappedRss {
  const sums = { brkHeap: 0, anonymous: 0, file: 0 };
  let kind: keyof typeof sums = 'anonymous';
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1] ?? '';
      kind = name === '[heap]' ? 'brkHeap' : name === '' || name.startsWith('[') ? 'anonymous' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss) sums[kind] += Number(rss[1]) * 1024;
  }
  return sums;
}

export async function mappedRss(pid: number): Promise<MappedRss | undefined> {
  try {
    return mappedRssOf(await readFile(`/proc/${pid}/smaps`, 'utf8'));
  } catch {
    return undefined;
  }
}
