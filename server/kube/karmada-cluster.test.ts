import { describe, expect, it } from 'vitest';
import {
  drainReason,
  kubeconfigOfKarmadaCluster,
  reduceKarmadaCluster,
  unusableReason,
  type KarmadaClusterRecord,
} from './karmada-cluster.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { STRICT_KUBECONFIG_POLICY } from './kubeconfig-policy.ts';

const LABEL = 'topology.istio.io/network';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function cluster(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KarmadaClusterRecord {
  return reduceKarmadaCluster(
    {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'member-1', labels: { [LABEL]: 'network-east' } },
      spec,
      ...extra,
    },
    LABEL,
  );
}

const PUSH = {
  syncMode: 'Push',
  apiEndpoint: 'https://10.0.0.1:6443',
  secretRef: { namespace: 'karmada-cluster', name: 'member-1' },
};

describe('Karmada Cluster records', () => {
  it('keeps what meshpilot reads: mode, endpoint, Secret reference, network label, readiness and NoExecute taints', () => {
    const record = cluster(
      {
        ...PUSH,
        taints: [
          { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule' },
          { key: 'cluster.karmada.io/unreachable', effect: 'NoExecute' },
        ],
      },
      { status: { conditions: [{ type: 'Ready', status: 'False' }] } },
    );
    expect(record).toEqual({
      name: 'member-1',
      syncMode: 'Push',
      apiEndpoint: 'https://10.0.0.1:6443',
      secretRef: { namespace: 'karmada-cluster', name: 'member-1' },
      insecureSkipTLSVerification: false,
      network: 'network-east',
      ready: false,
      noExecuteTaints: ['cluster.karmada.io/unreachable'],
    });
    expect(drainReason(record)).toBe(
      'Karmada Cluster member-1 Ready=False and tainted NoExecute cluster.karmada.io/unreachable',
    );
    expect(drainReason(cluster(PUSH, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }))).toBeUndefined();
    expect(drainReason(cluster(PUSH))).toBeUndefined();
  });

  it('says why a Push-mode Cluster cannot be used, and never refuses a Pull-mode one (it is skipped)', () => {
    expect(unusableReason(cluster(PUSH))).toBeUndefined();
    expect(unusableReason(cluster({ ...PUSH, apiEndpoint: '' }))).toBe('spec.apiEndpoint is empty');
    expect(unusableReason(cluster({ ...PUSH, apiEndpoint: '10.0.0.1:6443' }))).toBe(
      'spec.apiEndpoint is not an http(s) URL',
    );
    expect(unusableReason(cluster({ syncMode: 'Push', apiEndpoint: 'https://a:1' }))).toBe('spec.secretRef is missing');
    expect(unusableReason(cluster({ syncMode: 'Pull' }))).toBeUndefined();
  });

  it('builds a kubeconfig of inline credentials that the remote-secret policy accepts', () => {
    const made = kubeconfigOfKarmadaCluster(cluster(PUSH), { token: b64('secret-token'), caBundle: b64(CA_PEM) });
    if ('error' in made) throw new Error(made.error);
    const { kubeConfig, credentials } = loadKubeConfig({ yaml: made.kubeconfig }, STRICT_KUBECONFIG_POLICY);
    expect(kubeConfig.getCurrentCluster()).toMatchObject({ server: 'https://10.0.0.1:6443', caData: b64(CA_PEM) });
    expect(kubeConfig.getCurrentUser()?.token).toBe('secret-token');
    expect(credentials).toContain('secret-token');
  });

  it('goes without the CA only when the Cluster sets insecureSkipTLSVerification, and refuses a Secret without token', () => {
    const insecure = kubeconfigOfKarmadaCluster(cluster({ ...PUSH, insecureSkipTLSVerification: true }), {
      token: b64('t0ken'),
    });
    if ('error' in insecure) throw new Error(insecure.error);
    expect(loadKubeConfig({ yaml: insecure.kubeconfig }).kubeConfig.getCurrentCluster()?.skipTLSVerify).toBe(true);
    expect(kubeconfigOfKarmadaCluster(cluster(PUSH), { token: b64('t0ken') })).toEqual({
      error: 'Secret karmada-cluster/member-1 has no caBundle and the Cluster does not set insecureSkipTLSVerification',
    });
    expect(kubeconfigOfKarmadaCluster(cluster(PUSH), { caBundle: b64(CA_PEM) })).toEqual({
      error: 'Secret karmada-cluster/member-1 has no token',
    });
  });
});
