import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** A loopback stand-in for an API server's watch endpoint, for informer tests (lists go through listPage). */
export interface WatchTestServer {
  readonly kubeConfig: KubeConfig;
  /** The watches open now. */
  readonly watches: ReadonlySet<ServerResponse>;
  close(): Promise<void>;
}

/** Every request is a watch: answered 200 and kept open; `opened` may write event lines to it. */
export async function startWatchTestServer(
  token: string,
  opened: (response: ServerResponse) => void = (response) => response.flushHeaders(),
): Promise<WatchTestServer> {
  const watches = new Set<ServerResponse>();
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    opened(response);
    watches.add(response);
    response.on('close', () => watches.delete(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return {
    kubeConfig,
    watches,
    close: async () => {
      for (const watch of watches) watch.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
