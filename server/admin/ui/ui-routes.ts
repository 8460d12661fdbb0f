import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

/** Same shape as the admin server's route handlers. */
export type UiHandler = (url: URL, res: ServerResponse) => void;

/** The page's files, served as `/ui/<name>`; the page itself is `index.html` at `/ui`. */
export const UI_ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'sections.js': 'text/javascript; charset=utf-8',
  'service-matrix.js': 'text/javascript; charset=utf-8',
  'mesh-map.js': 'text/javascript; charset=utf-8',
  'istio-config.js': 'text/javascript; charset=utf-8',
  'paths.js': 'text/javascript; charset=utf-8',
  'stale.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

// The page loads only its own files and talks only to this admin server (no CDN, no inline script).
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/**
 * Routes for the web admin page: `/ui` (and `/ui/`) plus one route per asset. The files are read
 * once, when the routes are made, so a missing file fails at start rather than on first request.
 */
export function uiRoutes(): Record<string, UiHandler> {
  const routes: Record<string, UiHandler> = {};
  for (const [name, contentType] of Object.entries(UI_ASSETS)) {
    const body = readFileSync(new URL(`./${name}`, import.meta.url));
    const handler: UiHandler = (_url, res) => {
      res.writeHead(200, { 'content-type': contentType, ...SECURITY_HEADERS });
      res.end(body);
    };
    if (name === 'index.html') {
      routes['/ui'] = handler;
      routes['/ui/'] = handler;
    } else routes[`/ui/${name}`] = handler;
  }
  return routes;
}
