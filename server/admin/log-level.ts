import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MAX_BODY = 4096;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

function scopeView(logger: Logger): unknown {
  return { name: 'default', description: 'meshpilot', output_level: logger.level };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
  }
  return body;
}

function requestedLevel(url: URL, body: string): unknown {
  const fromQuery = url.searchParams.get('level');
  if (fromQuery !== null) return fromQuery;
  if (body.trim() === '') return undefined;
  const parsed: unknown = JSON.parse(body);
  return typeof parsed === 'object' && parsed !== null && 'output_level' in parsed
    ? (parsed as { output_level: unknown }).output_level
    : undefined;
}

/**
 * The log level at run time, ControlZ-style as istiod's `/scopej/<scope>`: GET shows the one scope
 * (`default`), PUT sets it from `{"output_level":"debug"}` or `?level=debug`. Returns false when the
 * request is not for this path.
 */
export async function handleLogLevel(
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  logger: Logger,
): Promise<boolean> {
  if (url.pathname !== '/scopej/default' && url.pathname !== '/scopej/' && url.pathname !== '/scopej') return false;
  if (req.method === 'GET') {
    json(res, 200, url.pathname === '/scopej/default' ? scopeView(logger) : [scopeView(logger)]);
    return true;
  }
  if (req.method !== 'PUT' || url.pathname !== '/scopej/default') {
    json(res, 405, { error: 'use GET /scopej/default, or PUT /scopej/default with {"output_level": "<level>"}' });
    return true;
  }
  let level: unknown;
  try {
    level = requestedLevel(url, await readBody(req));
  } catch (error: unknown) {
    json(res, 400, { error: `bad request body: ${error instanceof Error ? error.message : String(error)}` });
    return true;
  }
  if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) {
    json(res, 400, { error: `output_level must be one of ${LEVELS.join(', ')}` });
    return true;
  }
  const previous = logger.level;
  logger.level = level;
  // Not `level`: that key is pino's own (the record's numeric level), which it would overwrite.
  logger.warn({ previous, output_level: level }, 'log level changed');
  json(res, 200, scopeView(logger));
  return true;
}
