/**
 * SPIFFE identities of Kubernetes workloads, as Istio writes them: spiffe://<trust domain>/ns/<namespace>/sa/<service account>.
 */
import { SecurityError } from './errors.ts';

export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
}

export interface SpiffeIdentity extends WorkloadIdentity {
  trustDomain: string;
}

export type SpiffeIdParseResult = ({ ok: true } & SpiffeIdentity) | { ok: false; error: string };

const SPIFFE_SCHEME = 'spiffe://';
const TRUST_DOMAIN_PATTERN = /^[a-z0-9._-]+$/;
const DNS_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_TRUST_DOMAIN_LENGTH = 255;
const MAX_NAMESPACE_LENGTH = 63;
const MAX_SERVICE_ACCOUNT_LENGTH = 253;

/** Returns why the trust domain is invalid, or undefined when it is valid. */
export function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain.length === 0) return 'trust domain is empty';
  if (trustDomain.length > MAX_TRUST_DOMAIN_LENGTH) {
    return `trust domain is ${trustDomain.length} characters long; at most ${MAX_TRUST_DOMAIN_LENGTH} are allowed`;
  }
  if (!TRUST_DOMAIN_PATTERN.test(trustDomain)) {
    return `trust domain ${JSON.stringify(trustDomain)} may hold only lowercase letters, digits, '.', '-' and '_'`;
  }
  return undefined;
}

export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0) return 'namespace is empty';
  if (namespace.length > MAX_NAMESPACE_LENGTH || !DNS_LABEL_PATTERN.test(namespace)) {
    return (
      `namespace ${JSON.stringify(namespace)} is not a valid Kubernetes namespace name ` +
      `(lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${MAX_NAMESPACE_LENGTH} characters)`
    );
  }
  return undefined;
}

export function serviceAccountProblem(serviceAccount: string): string | undefined {
  if (serviceAccount.length === 0) return 'service account is empty';
  const labels = serviceAccount.split('.');
  if (serviceAccount.length > MAX_SERVICE_ACCOUNT_LENGTH || labels.some((label) => !DNS_LABEL_PATTERN.test(label))) {
    return (
      `service account ${JSON.stringify(serviceAccount)} is not a valid Kubernetes service account name ` +
      `(dot-separated lowercase labels of letters, digits and '-', at most ${MAX_SERVICE_ACCOUNT_LENGTH} characters)`
    );
  }
  return undefined;
}

/** Builds the SPIFFE id of a workload; throws MESHPILOT_ERR_SPIFFE_ID_INVALID naming the bad part. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  const problem =
    trustDomainProblem(trustDomain) ?? namespaceProblem(namespace) ?? serviceAccountProblem(serviceAccount);
  if (problem !== undefined)
    throw new SecurityError('MESHPILOT_ERR_SPIFFE_ID_INVALID', `cannot build a SPIFFE id: ${problem}`);
  return `${SPIFFE_SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Parses spiffe://<td>/ns/<ns>/sa/<sa>; the error says which part is wrong. */
export function parseSpiffeId(uri: string): SpiffeIdParseResult {
  const fail = (reason: string): SpiffeIdParseResult => ({
    ok: false,
    error: `invalid SPIFFE id ${JSON.stringify(uri)}: ${reason}`,
  });
  if (!uri.startsWith(SPIFFE_SCHEME)) return fail(`it must start with "${SPIFFE_SCHEME}"`);
  const rest = uri.slice(SPIFFE_SCHEME.length);
  if (/[?#]/.test(rest)) return fail('a SPIFFE id has no query or fragment');
  const slash = rest.indexOf('/');
  if (slash < 0) return fail('it has no path; expected /ns/<namespace>/sa/<service account>');
  const trustDomain = rest.slice(0, slash);
  const trustDomainError = trustDomainProblem(trustDomain);
  if (trustDomainError !== undefined) return fail(trustDomainError);
  const segments = rest.slice(slash + 1).split('/');
  if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa') {
    return fail(`path must be /ns/<namespace>/sa/<service account>, got /${segments.join('/')}`);
  }
  const namespace = segments[1] ?? '';
  const serviceAccount = segments[3] ?? '';
  const partError = namespaceProblem(namespace) ?? serviceAccountProblem(serviceAccount);
  if (partError !== undefined) return fail(partError);
  return { ok: true, trustDomain, namespace, serviceAccount };
}
