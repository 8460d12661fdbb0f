import { stringify } from 'yaml';

/** Karmada's Cluster API (cluster.karmada.io/v1alpha1, cluster-scoped). */
export const KARMADA_CLUSTER_API = { group: 'cluster.karmada.io', version: 'v1alpha1', plural: 'clusters' } as const;

/**
 * What meshpilot reads of a Karmada Cluster: spec.syncMode, apiEndpoint, secretRef (a Secret with
 * `token` and `caBundle`), insecureSkipTLSVerification, taints, the Ready condition and the network
 * label. Nothing else is kept.
 */
export interface KarmadaClusterRecord {
  readonly name: string;
  readonly syncMode: string;
  readonly apiEndpoint: string;
  readonly secretRef: { readonly namespace: string; readonly name: string } | undefined;
  readonly insecureSkipTLSVerification: boolean;
  /** The value of the configured network label, or ''. */
  readonly network: string;
  /** status.conditions Ready: true, false, or undefined when unknown or absent. */
  readonly ready: boolean | undefined;
  /** Keys of NoExecute taints (Karmada's eviction taints). */
  readonly noExecuteTaints: readonly string[];
}

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const asString = (value: unknown): string => (typeof value === 'string' ? value : '');
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Reduces a Cluster object to what meshpilot uses. */
export function reduceKarmadaCluster(object: unknown, networkLabel: string): KarmadaClusterRecord {
  const root = asRecord(object) ?? {};
  const metadata = asRecord(root['metadata']) ?? {};
  const spec = asRecord(root['spec']) ?? {};
  const status = asRecord(root['status']) ?? {};
  const labels = asRecord(metadata['labels']) ?? {};
  const secretRef = asRecord(spec['secretRef']);
  const readyCondition = asList(status['conditions'])
    .map(asRecord)
    .find((condition) => condition?.['type'] === 'Ready');
  const readyStatus = asString(readyCondition?.['status']);
  return {
    name: asString(metadata['name']),
    syncMode: asString(spec['syncMode']),
    apiEndpoint: asString(spec['apiEndpoint']),
    secretRef:
      secretRef !== undefined && asString(secretRef['name']) !== ''
        ? { namespace: asString(secretRef['namespace']) || 'karmada-cluster', name: asString(secretRef['name']) }
        : undefined,
    insecureSkipTLSVerification: spec['insecureSkipTLSVerification'] === true,
    network: asString(labels[networkLabel]),
    ready: readyStatus === 'True' ? true : readyStatus === 'False' ? false : undefined,
    noExecuteTaints: asList(spec['taints'])
      .map(asRecord)
      .filter((taint) => taint?.['effect'] === 'NoExecute')
      .map((taint) => asString(taint?.['key']))
      .sort(),
  };
}

/** Why a Cluster cannot be added as a member kube cluster, or undefined when it can (given its Secret). */
export function unusableReason(cluster: KarmadaClusterRecord): string | undefined {
  if (cluster.syncMode !== 'Push') return undefined;
  if (cluster.apiEndpoint === '') return 'spec.apiEndpoint is empty';
  if (!/^https?:\/\//.test(cluster.apiEndpoint)) return 'spec.apiEndpoint is not an http(s) URL';
  if (cluster.secretRef === undefined) return 'spec.secretRef is missing';
  return undefined;
}

/**
 * Why Karmada is about to move a Cluster's workloads away: its Ready condition is False, or it carries
 * NoExecute taints (Karmada's eviction taints, e.g. cluster.karmada.io/not-ready or /unreachable);
 * undefined when neither.
 */
export function drainReason(cluster: KarmadaClusterRecord): string | undefined {
  const reasons = [
    ...(cluster.ready === false ? ['Ready=False'] : []),
    ...(cluster.noExecuteTaints.length > 0 ? [`tainted NoExecute ${cluster.noExecuteTaints.join(', ')}`] : []),
  ];
  return reasons.length > 0 ? `Karmada Cluster ${cluster.name} ${reasons.join(' and ')}` : undefined;
}

/**
 * The kubeconfig text for a Push-mode Cluster: its apiEndpoint, the Secret's `caBundle` (or no
 * verification when the Cluster says insecureSkipTLSVerification) and `token`, inline only, so the
 * strict kubeconfig policy of remote secrets applies unchanged. `secretData` holds the Secret's
 * base64 data values; the text is never logged.
 */
export function kubeconfigOfKarmadaCluster(
  cluster: KarmadaClusterRecord,
  secretData: Readonly<Record<string, string>>,
): { kubeconfig: string } | { error: string } {
  const token = Buffer.from(secretData['token'] ?? '', 'base64').toString('utf8');
  if (token === '') return { error: `Secret ${cluster.secretRef?.namespace}/${cluster.secretRef?.name} has no token` };
  const caBundle = secretData['caBundle'] ?? '';
  if (caBundle === '' && !cluster.insecureSkipTLSVerification)
    return {
      error: `Secret ${cluster.secretRef?.namespace}/${cluster.secretRef?.name} has no caBundle and the Cluster does not set insecureSkipTLSVerification`,
    };
  const server = cluster.insecureSkipTLSVerification
    ? { server: cluster.apiEndpoint, 'insecure-skip-tls-verify': true }
    : { server: cluster.apiEndpoint, 'certificate-authority-data': caBundle };
  return {
    kubeconfig: stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: cluster.name, cluster: server }],
      users: [{ name: 'karmada', user: { token } }],
      contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: 'karmada' } }],
      'current-context': cluster.name,
    }),
  };
}
