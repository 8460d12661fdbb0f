import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Access, TokenRegistry } from './auth.ts';
import { apiErrors } from './errors.ts';
import type { KubeSimFaults } from './faults.ts';
import { asObject, parseBody, readBody, sendJson } from './http-util.ts';
import { stringField } from './types.ts';

function numberParam(query: URLSearchParams, name: string, fallback: number | undefined): number {
  const value = query.get(name);
  if (value === null || value === '') {
    if (fallback === undefined) throw apiErrors.badRequest(`query parameter ${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(value))
    throw apiErrors.badRequest(`query parameter ${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/**
 * The simulator's own admin endpoints (admin token only), for tests driving a kube-sim process:
 *   POST /_sim/faults/stop?restartAfterMs=N   POST /_sim/faults/cut-watches   POST /_sim/faults/delay?ms=N
 *   POST /_sim/faults/force-410?count=N        POST /_sim/faults/compact      POST /_sim/faults/reset
 *   POST /_sim/serviceaccount-tokens  {"token","namespace","serviceAccount","access"?}
 */
export async function handleSimAdmin(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  faults: KubeSimFaults,
  tokens: TokenRegistry,
  scheduleRestart: (afterMs: number) => void,
): Promise<void> {
  if (request.method !== 'POST') throw apiErrors.methodNotAllowed(request.method ?? '', url.pathname);
  const query = url.searchParams;
  switch (url.pathname) {
    case '/_sim/faults/stop': {
      // Through HTTP the caller cannot reach a stopped server, so the restart is scheduled up front.
      const afterMs = numberParam(query, 'restartAfterMs', undefined);
      sendJson(response, 200, { stopped: true, restartAfterMs: afterMs });
      response.on('finish', () => scheduleRestart(afterMs));
      return;
    }
    case '/_sim/faults/cut-watches':
      return sendJson(response, 200, { cut: faults.cutWatches() });
    case '/_sim/faults/delay':
      faults.delay(numberParam(query, 'ms', undefined));
      return sendJson(response, 200, { delayMs: numberParam(query, 'ms', undefined) });
    case '/_sim/faults/force-410':
      faults.force410(numberParam(query, 'count', 1));
      return sendJson(response, 200, { forced410: numberParam(query, 'count', 1) });
    case '/_sim/faults/compact':
      faults.compact();
      return sendJson(response, 200, { compacted: true });
    case '/_sim/faults/reset':
      faults.reset();
      return sendJson(response, 200, { reset: true });
    case '/_sim/serviceaccount-tokens': {
      const body = asObject(
        parseBody(await readBody(request), 'application/json'),
        'the service-account token registration',
      );
      const token = stringField(body, 'token');
      const namespace = stringField(body, 'namespace');
      const serviceAccount = stringField(body, 'serviceAccount');
      const access = stringField(body, 'access') ?? 'none';
      if (!token || !namespace || !serviceAccount)
        throw apiErrors.badRequest('token, namespace and serviceAccount are required strings');
      if (access !== 'admin' && access !== 'read-only' && access !== 'none')
        throw apiErrors.badRequest(`access must be admin, read-only or none, got "${access}"`);
      tokens.registerServiceAccountToken(token, namespace, serviceAccount, access satisfies Access);
      return sendJson(response, 201, { registered: `system:serviceaccount:${namespace}:${serviceAccount}` });
    }
    default:
      throw apiErrors.pathNotFound();
  }
}
