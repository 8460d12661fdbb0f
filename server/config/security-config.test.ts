import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from './load.ts';
import { DEFAULT_SECURITY, MeshpilotConfigSchema } from './schema.ts';

function issuesOf(input: unknown): { path: string; code: string }[] {
  const result = MeshpilotConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), code: i.code }));
}

describe('security config section', () => {
  it('is absent unless given, and `security: {}` takes every default', () => {
    expect(MeshpilotConfigSchema.parse({}).security).toBeUndefined();
    expect(MeshpilotConfigSchema.parse({ security: {} }).security).toEqual({
      caDir: './.meshpilot/ca',
      workloadCertTtlMs: 86_400_000,
      servingDnsNames: [...DEFAULT_SECURITY.servingDnsNames],
      servingIps: ['127.0.0.1'],
      rootCertConfigMaps: true,
    });
  });

  it('keeps what the user sets', () => {
    const security = MeshpilotConfigSchema.parse({
      security: {
        caDir: '/etc/meshpilot/ca',
        workloadCertTtlMs: 3_600_000,
        servingDnsNames: ['meshpilot.example.com'],
        servingIps: ['10.0.0.5', '::1'],
        tokenReviewCluster: 'cluster-a',
        rootCertConfigMaps: false,
      },
    }).security;
    expect(security).toEqual({
      caDir: '/etc/meshpilot/ca',
      workloadCertTtlMs: 3_600_000,
      servingDnsNames: ['meshpilot.example.com'],
      servingIps: ['10.0.0.5', '::1'],
      tokenReviewCluster: 'cluster-a',
      rootCertConfigMaps: false,
    });
  });

  it('names each bad value by its path', () => {
    expect(
      issuesOf({
        security: {
          servingDnsNames: ['Meshpilot.Example'],
          servingIps: ['300.1.1.1'],
          workloadCertTtlMs: 10,
          caDir: '',
          tokenReviewCluster: 'Cluster_A',
          extra: 1,
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: 'security', code: 'unrecognized_keys' },
        { path: 'security.caDir', code: 'too_small' },
        { path: 'security.workloadCertTtlMs', code: 'too_small' },
        { path: 'security.servingDnsNames.0', code: 'custom' },
        { path: 'security.servingIps.0', code: 'custom' },
        { path: 'security.tokenReviewCluster', code: 'custom' },
      ]),
    );
    expect(issuesOf({ security: { workloadCertTtlMs: 91 * 24 * 3_600_000 } })).toEqual([
      { path: 'security.workloadCertTtlMs', code: 'too_big' },
    ]);
    expect(issuesOf({ security: { servingDnsNames: [], servingIps: [] } })).toEqual([
      { path: 'security.servingDnsNames', code: 'custom' },
    ]);
  });
});

describe('security config in a config file', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'meshpilot-security-config-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function parse(text: string) {
    await writeFile(join(root, 'a.kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    await mkdir(join(root, 'cluster-b'), { recursive: true });
    return parseConfigText(text, join(root, 'meshpilot.yaml'));
  }

  const CLUSTERS =
    'clusters:\n  - { name: cluster-a, kubeconfig: ./a.kubeconfig }\n  - { name: cluster-b, manifests: ./cluster-b/ }\n';

  it('resolves caDir against the config file folder', async () => {
    const result = await parse('security: {}\n');
    expect(result.ok && result.config.security?.caDir).toBe(join(root, '.meshpilot/ca'));
    const absolute = await parse('security: { caDir: /var/lib/meshpilot/ca }\n');
    expect(absolute.ok && absolute.config.security?.caDir).toBe('/var/lib/meshpilot/ca');
  });

  it('accepts a kubeconfig cluster as tokenReviewCluster and refuses others with a stable code', async () => {
    expect((await parse(`${CLUSTERS}security: { tokenReviewCluster: cluster-a }\n`)).ok).toBe(true);
    const unknown = await parse(`${CLUSTERS}security: { tokenReviewCluster: cluster-z }\n`);
    expect(unknown.ok ? [] : unknown.errors.map((e) => [e.path, e.code])).toEqual([
      ['security.tokenReviewCluster', 'MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER'],
    ]);
    const manifests = await parse(`${CLUSTERS}security: { tokenReviewCluster: cluster-b }\n`);
    expect(manifests.ok ? [] : manifests.errors.map((e) => [e.path, e.code])).toEqual([
      ['security.tokenReviewCluster', 'MESHPILOT_ERR_CONFIG_NOT_KUBECONFIG_CLUSTER'],
    ]);
    expect(manifests.ok ? '' : manifests.errors[0]?.message).toMatch(/has no kubeconfig.*"cluster-a"/);
  });
});
