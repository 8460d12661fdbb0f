import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { textLogDestination, textLogLine } from './text-log.ts';

describe('--log-format text', () => {
  it('writes each pino record as one readable line: time, level, message, fields', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'info' }, textLogDestination(sink));
    logger.warn({ kubeCluster: 'cluster-a', reason: 'connect ECONNREFUSED 10.0.0.1:443' }, 'kube cluster unreachable');
    logger.debug('hidden at info');
    const lines = out.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}kube cluster unreachable kubeCluster=cluster-a reason="connect ECONNREFUSED 10\.0\.0\.1:443"$/,
    );
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(textLogLine('plain text')).toBe('plain text\n');
  });
});
