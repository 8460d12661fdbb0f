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
