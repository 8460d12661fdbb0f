import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleLogLevel } from './log-level.ts';

describe('log level at run time (/scopej/default, ControlZ-style)', () => {
  const logger = pino({ level: 'info' });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      void handleLogLevel(req, url, res, logger).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('shows the level, sets it from a JSON body or ?level=, and refuses unknown levels', async () => {
    expect(await (await fetch(`${base}/scopej/default`)).json()).toMatchObject({ output_level: 'info' });

    const put = await fetch(`${base}/scopej/default`, {
      method: 'PUT',
      body: JSON.stringify({ output_level: 'debug' }),
    });
    expect(put.status).toBe(200);
    expect(logger.level).toBe('debug');
    expect(logger.isLevelEnabled('debug')).toBe(true);

    await fetch(`${base}/scopej/default?level=warn`, { method: 'PUT' });
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);

    const bad = await fetch(`${base}/scopej/default`, { method: 'PUT', body: '{"output_level":"loud"}' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('output_level must be one of');
    expect(logger.level).toBe('warn');

    expect(await (await fetch(`${base}/scopej`)).json()).toEqual([expect.objectContaining({ name: 'default' })]);
  });
});
