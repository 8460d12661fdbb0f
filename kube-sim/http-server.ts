import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ResourceApi } from './api-handler.ts';
import type { TokenRegistry } from './auth.ts';
import {
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  coreApiVersions,
  openApiV3Document,
  openApiV3Index,
  versionInfo,
} from './discovery.ts';
import { ApiStatusError, apiErrors, KubeSimError, KubeSimErrorCode } from './errors.ts';
import { errorMessage } from '../common/error-message.ts';
import type { FaultState, KubeSimFaults } from './faults.ts';
import { sendJson, sendStatusError } from './http-util.ts';
import { parseResourcePath } from './request-info.ts';
import { handleSimAdmin } from './sim-admin.ts';
import type { ServingMaterial } from './tls.ts';
import type { JsonObject } from './types.ts';

export interface HttpServerDeps {
  host: string;
  material: ServingMaterial;
  tokens: TokenRegistry;
  api: ResourceApi;
  faultState: FaultState;
  faults: () => KubeSimFaults;
  logger: Logger | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The HTTPS listener: authentication, discovery, the simulator's admin paths, and the REST API. */
export class KubeSimHttpServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: HttpServerDeps) {}

  get listeningPort(): number {
    return this.port;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async listen(port: number): Promise<number> {
    if (this.server) return this.port;
    const server = createServer(
      { key: this.deps.material.keyPem, cert: this.deps.material.certPem },
      (request, response) => {
        void this.handle(request, response);
      },
    );
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new KubeSimError(KubeSimErrorCode.listen, `cannot listen on ${this.deps.host}:${port}: ${error.message}`),
        );
      server.once('error', onError);
      server.listen(port, this.deps.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.server = server;
    return this.port;
  }

  /** Closes the listener and destroys every connection (open watches end without a final event). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Stops for good: also cancels restarts scheduled through /_sim/faults/stop. */
  async shutdown(): Promise<void> {
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    await this.close();
  }

  private scheduleRestart(afterMs: number): void {
    void this.close().then(() => {
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        this.listen(this.port).catch((error: unknown) =>
          this.deps.logger?.error({ err: errorMessage(error) }, 'kube-sim restart failed'),
        );
      }, afterMs);
      this.restartTimers.add(timer);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'https://kube-sim');
      this.deps.logger?.debug({ method: request.method, path: url.pathname }, 'kube-sim request');
      const identity = this.deps.tokens.authenticate(request.headers.authorization);
      if (url.pathname.startsWith('/_sim/')) {
        if (identity.access !== 'admin')
          throw apiErrors.forbidden(identity.username, 'post', 'faults', 'kube-sim', undefined);
        await handleSimAdmin(request, response, url, this.deps.faults(), this.deps.tokens, (afterMs) =>
          this.scheduleRestart(afterMs),
        );
        return;
      }
      const delayMs = this.deps.faultState.delay();
      if (delayMs > 0) await sleep(delayMs);
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('ok');
        return;
      }
      const document = this.nonResourceDocument(url.pathname, request);
      if (document !== undefined) {
        if (request.method !== 'GET' && request.method !== 'HEAD')
          throw apiErrors.methodNotAllowed(request.method ?? '', url.pathname);
        return sendJson(response, 200, document);
      }
      const parsed = parseResourcePath(url.pathname);
      if (parsed.kind !== 'resource') throw apiErrors.pathNotFound();
      await this.deps.api.handle(request, response, url.searchParams, identity, parsed.request);
    } catch (error: unknown) {
      if (error instanceof ApiStatusError) return sendStatusError(response, error);
      this.deps.logger?.error({ err: errorMessage(error) }, 'kube-sim request failed');
      sendStatusError(
        response,
        new ApiStatusError(500, 'InternalError', `Internal error occurred: ${errorMessage(error)}`),
      );
    }
  }

  /** Discovery, version, health and OpenAPI documents; undefined when the path is not one of them. */
  private nonResourceDocument(pathname: string, request: IncomingMessage): JsonObject | undefined {
    const path = pathname.replace(/\/+$/, '') || '/';
    const parts = path.split('/').filter((part) => part !== '');
    if (path === '/version') return versionInfo();
    if (path === '/api') return coreApiVersions(request.headers.host ?? `${this.deps.host}:${this.port}`);
    if (path === '/apis') return apiGroupList();
    if (path === '/openapi/v3') return openApiV3Index();
    if (parts[0] === 'api' && parts.length === 2) return apiResourceList('', parts[1] ?? '') ?? this.notFound();
    if (parts[0] === 'apis' && parts.length === 2) return apiGroupDocument(parts[1] ?? '') ?? this.notFound();
    if (parts[0] === 'apis' && parts.length === 3)
      return apiResourceList(parts[1] ?? '', parts[2] ?? '') ?? this.notFound();
    if (parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'api' && parts.length === 4)
      return openApiV3Document('', parts[3] ?? '') ?? this.notFound();
    if (parts[0] === 'openapi' && parts[1] === 'v3' && parts[2] === 'apis' && parts.length === 5)
      return openApiV3Document(parts[3] ?? '', parts[4] ?? '') ?? this.notFound();
    return undefined;
  }

  private notFound(): never {
    throw apiErrors.pathNotFound();
  }
}
