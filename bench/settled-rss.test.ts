import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { settledRss } from './scenarios/servers.ts';

/**
 * settledRss is how the bench samples a server's RSS between its phases (idle, loaded, after a forced
 * GC, after the streams closed). A server that exited has no RSS: it must say so, not report 0, which
 * once turned a meshpilot that died after the forced GC into a negative RSS per stream and 400
 * "never converged" stream × change pairs.
 */
describe('settledRss', () => {
  it("gives a running process's RSS, and refuses one that exited, naming it", async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    try {
      const pid = child.pid!;
      expect(await settledRss(pid, 0, 1)).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await exited;
      await expect(settledRss(pid, 0, 1)).rejects.toThrow(
        new RegExp(`MESHPILOT_BENCH_ERR_SERVER_GONE: process ${pid} is gone`),
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
