import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../../common/error-message.ts';
import type { CertificateAuthority, ServingCertificate } from '../security/ca.ts';
import { rotationDeadline } from '../../pki/rotation-deadline.ts';
import { listenHttp } from '../admin/admin-server.ts';
import {
  admissionReview,
  deny,
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionResponse,
} from './admission.ts';

/** The API server sends at most 3 MiB objects; a review is a little more. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const WEBHOOK_ERROR_CODE = 'MESHPILOT_ERR_WEBHOOK_REQUEST';

/** Answers one review; `path` is the request path (Istio's /inject/cluster/<id>/net/<network> carries parameters). */
export type AdmissionHandler = (request: AdmissionRequest, path: string) => AdmissionResponse;

export interface WebhookServerOptions {
  readonly ca: CertificateAuthority;
  readonly servingDnsNames: readonly string[];
  readonly servingIps: readonly string[];
  readonly certTtlMs: number;
  /** Path prefix → handler ("/inject", "/validate"). */
  readonly handlers: ReadonlyMap<string, AdmissionHandler>;
  readonly logger: Logger;
}

export interface WebhookServer {
  readonly port: number;
  stop(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function handlerFor(handlers: ReadonlyMap<string, AdmissionHandler>, path: string): AdmissionHandler | undefined {
  for (const [prefix, handler] of handlers) if (path === prefix || path.startsWith(`${prefix}/`)) return handler;
  return undefined;
}

/**
 * istiod's webhook port (15017): HTTPS with a serving certificate from meshpilot's CA (the webhook
 * configurations' caBundle is the CA's root), renewed at half its lifetime; POSTed AdmissionReviews
 * are answered by the handler of their path.
 */
export async function startWebhookServer(options: WebhookServerOptions, address: string): Promise<WebhookServer> {
  const { ca, logger } = options;
  const issue = (): Promise<ServingCertificate> =>
    ca.issueServingCertificate({
      dnsNames: options.servingDnsNames,
      ipAddresses: options.servingIps,
      ttlMs: options.certTtlMs,
    });
  let serving = await issue();
  const server: Server = createServer(
    { cert: serving.certChainPem, key: serving.privateKeyPem },
    (request, response) => void answer(request, response),
  );
  let timer: NodeJS.Timeout | undefined;
  const scheduleRotation = (issuedAt: number): void => {
    const delay = Math.max(rotationDeadline(issuedAt, serving.notAfter.getTime(), 0.5) - Date.now(), 1000);
    timer = setTimeout(() => {
      const started = Date.now();
      issue().then(
        (next) => {
          serving = next;
          server.setSecureContext({ cert: next.certChainPem, key: next.privateKeyPem });
          scheduleRotation(started);
        },
        (error: unknown) => {
          logger.error(
            { code: 'MESHPILOT_ERR_SERVING_CERT', error: errorMessage(error) },
            'webhook certificate renewal failed',
          );
          scheduleRotation(started);
        },
      );
    }, delay);
    timer.unref();
  };
  scheduleRotation(Date.now());

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'https://webhook').pathname;
    const handler = handlerFor(options.handlers, path);
    const reply = (status: number, body: string, type = 'application/json'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (handler === undefined) return reply(404, `no webhook at ${path}\n`, 'text/plain');
    if (request.method !== 'POST') return reply(405, 'POST an AdmissionReview\n', 'text/plain');
    const body = await readBody(request).catch(() => undefined);
    if (body === undefined) return reply(413, 'the AdmissionReview is too large or unreadable\n', 'text/plain');
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) {
      logger.warn({ path, code: WEBHOOK_ERROR_CODE, reason: parsed.message }, 'webhook request refused');
      return reply(400, `${parsed.message}\n`, 'text/plain');
    }
    let result: AdmissionResponse;
    try {
      result = handler(parsed.request, path);
    } catch (error: unknown) {
      logger.error({ path, code: WEBHOOK_ERROR_CODE, error: errorMessage(error) }, 'webhook handler failed');
      result = deny(parsed.request.uid, `meshpilot: ${errorMessage(error)}`, 500);
    }
    reply(200, admissionReview(result));
  };

  const port = await listenHttp(server, address);
  return {
    port,
    async stop() {
      clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
