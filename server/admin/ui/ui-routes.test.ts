import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenHttp } from '../admin-server.ts';
import { UI_ASSETS, uiRoutes } from './ui-routes.ts';

describe('uiRoutes', () => {
  const routes = uiRoutes();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://ui');
      const handler = routes[url.pathname];
      if (handler) handler(url, res);
      else res.writeHead(404).end();
    });
    base = `http://127.0.0.1:${await listenHttp(server, '127.0.0.1:0')}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the page at /ui and /ui/, and each asset with its content type and a strict CSP', async () => {
    const page = await fetch(`${base}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    const html = await page.text();
    expect(html).toMatch(/<h1>meshpilot admin<\/h1>/);
    expect(await (await fetch(`${base}/ui/`)).text()).toBe(html);
    for (const [name, contentType] of Object.entries(UI_ASSETS).filter(([name]) => name !== 'index.html')) {
      const response = await fetch(`${base}/ui/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(contentType);
    }
  });

  it('has a route for every file the page and its scripts reference', async () => {
    const html = await (await fetch(`${base}/ui`)).text();
    const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(3);
    for (const name of Object.keys(UI_ASSETS).filter((n) => n.endsWith('.js'))) {
      const script = await (await fetch(`${base}/ui/${name}`)).text();
      referenced.push(...[...script.matchAll(/from '\.\/([^']+)'/g)].map((m) => `/ui/${m[1]!}`));
    }
    for (const path of referenced) expect(Object.keys(routes), path).toContain(path);
  });

  it('never turns data into markup in the page scripts (text nodes and attributes only)', async () => {
    for (const name of Object.keys(UI_ASSETS).filter((n) => n.endsWith('.js'))) {
      const script = await (await fetch(`${base}/ui/${name}`)).text();
      expect(script, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
  });
});
