import { createServer } from 'node:net';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { XdsServer } from '@grpc/grpc-js-xds';

const SERVING_TIMEOUT_MS = 20_000;

/** A port free on `host` right now (for a server whose address must be known before it binds). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, host, resolve).once('error', reject));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error(`no free port on ${host}`);
  return address.port;
}

/** Binds an XdsServer and resolves once meshpilot's Listener made it serve (bindAsync calls back only then). */
export function bindXdsServer(server: XdsServer, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`XdsServer on ${address} not serving after ${SERVING_TIMEOUT_MS} ms: no usable Listener`)),
      SERVING_TIMEOUT_MS,
    );
    server.bindAsync(address, credentials, (error, port) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(port);
    });
  });
}

/**
 * Retries `attempt` until it resolves (at most `maxAttempts`, and not past `timeoutMs`), for results
 * that depend on config still propagating; the last error is reported.
 */
export async function eventuallyResolves<T>(
  attempt: () => Promise<T>,
  what: string,
  timeoutMs: number,
  maxAttempts = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let i = 0; i < maxAttempts && Date.now() < deadline; i += 1) {
    try {
      return await attempt();
    } catch (error: unknown) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `${what}: still failing after ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

/** Retries `check` until it is true (bounded like eventuallyResolves). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  maxAttempts = 400,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < maxAttempts && Date.now() < deadline; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
}
