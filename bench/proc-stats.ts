import { readFile } from 'node:fs/promises';

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
