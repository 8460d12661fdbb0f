import { STATUS_CODES } from 'node:http';

/** Stable codes for kube cluster errors users may search for. */
export const KubeRegistryErrorCode = {
  unreachable: 'MESHPILOT_ERR_KUBE_CLUSTER_UNREACHABLE',
  badKubeconfig: 'MESHPILOT_ERR_KUBECONFIG_INVALID',
  refusedKubeconfig: 'MESHPILOT_ERR_KUBECONFIG_REFUSED',
  badRemoteSecret: 'MESHPILOT_ERR_REMOTE_SECRET_INVALID',
  badKarmadaCluster: 'MESHPILOT_ERR_KARMADA_CLUSTER_INVALID',
} as const;

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  const message = field(parsed, 'message');
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/**
 * One line saying why a request to an API server failed, e.g. `401 Unauthorized` or
 * `connect ECONNREFUSED 127.0.0.1:1234`. Never includes request headers, so never a token; any
 * `secrets` given (the kubeconfig's token) are masked if they appear anyway.
 */
export function describeKubeError(error: unknown, secrets: readonly string[] = []): string {
  const code = field(error, 'code');
  const statusCode = typeof code === 'number' ? code : field(error, 'statusCode');
  const message = error instanceof Error ? error.message : String(error);
  let text: string;
  if (typeof statusCode === 'number') {
    const reason = STATUS_CODES[statusCode] ?? 'HTTP error';
    const detail = statusMessage(field(error, 'body'));
    text = detail ? `${statusCode} ${reason}: ${detail}` : `${statusCode} ${reason}`;
  } else {
    // node-fetch: "request to https://host/path failed, reason: connect ECONNREFUSED 127.0.0.1:1234"
    const reason = /, reason: (.*)$/s.exec(message);
    text = (reason?.[1] ?? message).split('\n')[0] ?? '';
  }
  return maskCredentials(text, secrets);
}

/**
 * `text` with every known secret masked, then anything shaped like a credential whatever its source
 * (an exec plugin's output, a token file read later): `Bearer <token>`, `Basic <…>` and JWTs.
 */
export function maskCredentials(text: string, secrets: readonly string[] = []): string {
  let masked = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length))
    if (secret.length >= 4) masked = masked.split(secret).join('<redacted>');
  return masked
    .replace(/\b(Bearer|Basic)\s+(?!<redacted>)[^\s"',;]+/gi, '$1 <redacted>')
    .replace(/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '<redacted-jwt>');
}
