import { request } from 'node:https';
import type { KubeSim } from './index.ts';
import type { JsonObject, JsonValue } from './types.ts';

export interface SimResponse {
  status: number;
  body: JsonValue;
  text: string;
}

export interface SimRequest {
  method?: string;
  path: string;
  token?: string | undefined;
  body?: JsonValue | string;
  contentType?: string;
  accept?: string;
}

/** One HTTPS request to the simulator, trusting only its CA. */
export function simRequest(sim: KubeSim, options: SimRequest): Promise<SimResponse> {
  return new Promise((resolve, reject) => {
    const payload =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
    if (payload !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
    const req = request(
      new URL(options.path, sim.url),
      { method: options.method ?? 'GET', ca: sim.caCertPem, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: JsonValue;
          try {
            body = JSON.parse(text) as JsonValue;
          } catch {
            body = null;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`request ${options.path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEvent {
  type: string;
  object: JsonObject;
}

export interface WatchStream {
  status: number;
  events: WatchEvent[];
  /** Resolves when the server ends the response (or the connection drops). */
  ended: Promise<'ended' | 'dropped'>;
  /** Resolves once an event satisfies `predicate` (rejects after `timeoutMs`). */
  waitFor(predicate: (event: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  close(): void;
}

/** Opens a watch and collects its newline-delimited JSON events. */
export function openWatch(sim: KubeSim, path: string, token: string = sim.adminToken): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, sim.url),
      { ca: sim.caCertPem, headers: { Authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        const events: WatchEvent[] = [];
        const waiters = new Set<() => void>();
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line.trim() !== '') events.push(JSON.parse(line) as WatchEvent);
            newline = buffer.indexOf('\n');
          }
          for (const waiter of [...waiters]) waiter();
        });
        const ended = new Promise<'ended' | 'dropped'>((resolveEnded) => {
          res.on('end', () => resolveEnded('ended'));
          res.on('error', () => resolveEnded('dropped'));
          res.on('aborted', () => resolveEnded('dropped'));
          req.on('error', () => resolveEnded('dropped'));
        });
        const waitFor = (predicate: (event: WatchEvent) => boolean, timeoutMs = 5000): Promise<WatchEvent> =>
          new Promise((resolveEvent, rejectEvent) => {
            const check = (): void => {
              const found = events.find(predicate);
              if (!found) return;
              waiters.delete(check);
              clearTimeout(timer);
              resolveEvent(found);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rejectEvent(
                new Error(
                  `no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`,
                ),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        resolve({ status: res.statusCode ?? 0, events, ended, waitFor, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
