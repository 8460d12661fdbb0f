import { parse } from 'yaml';

/**
 * What a kubeconfig may do beyond inline credentials. A kubeconfig meshpilot did not get from its
 * operator (a remote secret) may do none of it: `exec` runs a command on the control-plane host,
 * an auth provider and file references (tokenFile, certificate and key files) read local files and
 * send them to whatever server the kubeconfig names. meshpilot.yaml's `clusters[].kubeconfigAllow`
 * grants them, per kube cluster, for the operator's own kubeconfig files.
 */
export const KUBECONFIG_ALLOWANCES = ['exec', 'auth-provider', 'files', 'unknown-fields'] as const;
export type KubeconfigAllowance = (typeof KUBECONFIG_ALLOWANCES)[number];

export interface KubeconfigPolicy {
  /** Where the kubeconfig comes from, for the error message ("remote secret", "meshpilot.yaml clusters[].kubeconfig"). */
  readonly origin: string;
  readonly allow: ReadonlySet<KubeconfigAllowance>;
}

/** Nothing beyond inline credentials: the policy for remote secrets and any kubeconfig not named by the operator. */
export const STRICT_KUBECONFIG_POLICY: KubeconfigPolicy = { origin: 'remote secret', allow: new Set() };

/** One refused field of a kubeconfig: its path and why. */
export interface KubeconfigViolation {
  readonly path: string;
  readonly allowance: KubeconfigAllowance;
  readonly message: string;
}

const TOP_FIELDS = new Set([
  'apiVersion',
  'kind',
  'preferences',
  'clusters',
  'users',
  'contexts',
  'current-context',
  'extensions',
]);
const CLUSTER_FIELDS = new Set([
  'server',
  'tls-server-name',
  'insecure-skip-tls-verify',
  'certificate-authority',
  'certificate-authority-data',
  'proxy-url',
  'disable-compression',
  'extensions',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'as',
  'as-uid',
  'as-groups',
  'as-user-extra',
  'username',
  'password',
  'auth-provider',
  'exec',
  'extensions',
]);
const CONTEXT_FIELDS = new Set(['cluster', 'user', 'namespace', 'extensions']);
const NAMED_FIELDS = new Set(['name', 'cluster', 'user', 'context']);
const FILE_FIELDS = new Set(['certificate-authority', 'client-certificate', 'client-key', 'tokenFile']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldsOf(value: unknown): [string, unknown][] {
  return isObject(value) ? Object.entries(value) : [];
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every field of the kubeconfig text that `policy` does not allow; [] when it may be used. Reads no file. */
export function kubeconfigViolations(text: string, policy: KubeconfigPolicy): KubeconfigViolation[] {
  const out: KubeconfigViolation[] = [];
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    return out; // not YAML: client-node's own load reports it
  }
  const unknown = (path: string): void => {
    out.push({ path, allowance: 'unknown-fields', message: 'unknown field' });
  };
  for (const [key] of fieldsOf(document)) if (!TOP_FIELDS.has(key)) unknown(key);
  const root = isObject(document) ? document : {};
  const sections: [string, string, ReadonlySet<string>][] = [
    ['clusters', 'cluster', CLUSTER_FIELDS],
    ['users', 'user', USER_FIELDS],
    ['contexts', 'context', CONTEXT_FIELDS],
  ];
  for (const [section, inner, known] of sections) {
    listOf(root[section]).forEach((entry, index) => {
      for (const [key] of fieldsOf(entry)) if (!NAMED_FIELDS.has(key)) unknown(`${section}[${index}].${key}`);
      for (const [key, value] of fieldsOf(isObject(entry) ? entry[inner] : undefined)) {
        const path = `${section}[${index}].${inner}.${key}`;
        if (!known.has(key)) unknown(path);
        else if (key === 'exec')
          out.push({ path, allowance: 'exec', message: 'exec credential plugins run a command on this host' });
        else if (key === 'auth-provider')
          out.push({ path, allowance: 'auth-provider', message: 'auth providers read local files and run helpers' });
        else if (FILE_FIELDS.has(key) && value !== undefined && value !== null && value !== '')
          out.push({ path, allowance: 'files', message: 'file references read a file on this host' });
      }
    });
  }
  return out.filter((violation) => !policy.allow.has(violation.allowance));
}

/** One line naming what is refused and how the operator could allow it, never a value. */
export function describeViolations(violations: readonly KubeconfigViolation[], policy: KubeconfigPolicy): string {
  const listed = violations
    .slice(0, 5)
    .map((v) => `${v.path} (${v.message})`)
    .join('; ');
  const more = violations.length > 5 ? `; and ${violations.length - 5} more` : '';
  const allowances = [...new Set(violations.map((v) => v.allowance))].join(', ');
  return `refused (${policy.origin}): ${listed}${more}; allowed only in the operator's own kubeconfig files, with clusters[].kubeconfigAllow: [${allowances}]`;
}
