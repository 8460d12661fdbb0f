import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from './load.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'meshpilot-config-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files (content) and folders (trailing '/') under the temp root. */
async function writeTree(tree: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    if (path.endsWith('/')) await mkdir(full, { recursive: true });
    else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
}

async function errorsFor(configText: string, tree: Record<string, string> = {}): Promise<ConfigError[]> {
  await writeTree({ ...tree, 'meshpilot.yaml': configText });
  const result = await loadConfig(join(root, 'meshpilot.yaml'));
  return result.ok ? [] : result.errors;
}

const TWO_CLUSTERS = `
clusters:
  - { name: cluster-a, network: group20, kubeconfig: ./a.kubeconfig }
  - { name: cluster-b, network: group30, manifests: ./cluster-b/ }
`;
const TWO_CLUSTER_FILES = { 'a.kubeconfig': 'apiVersion: v1\nkind: Config\n', 'cluster-b/': '' };

describe('loadConfig', () => {
  it('loads the design example, resolving relative paths against the config folder', async () => {
    await writeTree({ ...TWO_CLUSTER_FILES, 'istio/': '', 'sub/meshpilot.yaml': '' });
    await writeFile(
      join(root, 'meshpilot.yaml'),
      `${TWO_CLUSTERS}
remoteSecrets: { cluster: cluster-a }
config:
  - { manifests: istio }
  - { cluster: cluster-a }
meshNetworks:
  networks:
    group20: { endpoints: [{fromRegistry: cluster-a}], gateways: [{address: 10.64.31.204, port: 15443}] }
    group30: { endpoints: [{fromRegistry: cluster-b}], gateways: [{registryServiceName: istio-eastwestgateway.istio-system.svc.cluster.local}] }
`,
    );
    const result = await loadConfig(join(root, 'meshpilot.yaml'));
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(result.config.clusters).toEqual([
      { name: 'cluster-a', network: 'group20', kubeconfig: join(root, 'a.kubeconfig') },
      { name: 'cluster-b', network: 'group30', manifests: join(root, 'cluster-b') },
    ]);
    expect(result.config.config).toEqual([{ manifests: join(root, 'istio') }, { cluster: 'cluster-a' }]);
    expect(result.config.remoteSecrets).toEqual({ cluster: 'cluster-a', namespace: 'istio-system' });
    expect(result.config.meshNetworks.networks['group30']?.gateways[0]?.port).toBe(15443);
  });

  it('formats schema error paths and says what is expected', async () => {
    const errors = await errorsFor(
      `
listen: { admin: "127.0.0.1:70000" }
clusters:
  - { name: cluster-a, manifests: ./a/ }
  - { name: cluster-b, manifests: ./b/, network: 30 }
meshNetworks:
  networks:
    group20: { gateways: [{ address: 10.64.31.204, port: "15443" }] }
logLevel: verbose
`,
      { 'a/': '', 'b/': '' },
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['listen.admin', 'MESHPILOT_ERR_CONFIG_BAD_ADDRESS'],
      ['clusters[1].network', 'MESHPILOT_ERR_CONFIG_INVALID_TYPE'],
      ['meshNetworks.networks.group20.gateways[0].port', 'MESHPILOT_ERR_CONFIG_INVALID_TYPE'],
      ['logLevel', 'MESHPILOT_ERR_CONFIG_INVALID_VALUE'],
    ]);
    expect(errors[0]?.message).toBe(
      'bad port "70000"; expected "host:port" or "[ipv6]:port" with port 0..65535, e.g. "0.0.0.0:15010" or "[::1]:15010" (line 2)',
    );
    expect(errors[1]?.message).toBe('expected a string, got 30 (line 5)');
    expect(errors[2]?.message).toBe('expected a number, got "15443" (line 8)');
    expect(errors[3]?.message).toContain(
      'expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"; got "verbose"',
    );
  });

  it('names unknown keys one by one with the accepted keys and a suggestion', async () => {
    const errors = await errorsFor(
      `
clusters:
  - { name: cluster-a, manifests: ./a/, kubeConfig: x, zone: z }
`,
      { 'a/': '' },
    );
    expect(errors).toEqual([
      {
        path: 'clusters[0].kubeConfig',
        code: 'MESHPILOT_ERR_CONFIG_UNKNOWN_KEY',
        message:
          'unknown key "kubeConfig" (did you mean "kubeconfig"?); expected one of: name, network, kubeconfig, manifests, kubeconfigAllow (line 3)',
      },
      {
        path: 'clusters[0].zone',
        code: 'MESHPILOT_ERR_CONFIG_UNKNOWN_KEY',
        message: 'unknown key "zone"; expected one of: name, network, kubeconfig, manifests, kubeconfigAllow (line 3)',
      },
    ]);
  });

  it('reports missing required fields', async () => {
    const errors = await errorsFor('clusters:\n  - { manifests: ./a/ }\nremoteSecrets: {}\n', { 'a/': '' });
    expect(errors.map((e) => `${e.path}: ${e.message} [${e.code}]`)).toEqual([
      'clusters[0].name: required: expected a string (line 2) [MESHPILOT_ERR_CONFIG_REQUIRED]',
      'remoteSecrets.cluster: required: expected a string (line 3) [MESHPILOT_ERR_CONFIG_REQUIRED]',
    ]);
  });

  it('names the line and column of a YAML syntax error', async () => {
    const errors = await errorsFor('meshId: mesh1\nclusters:\n  - name: [cluster-a\n');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.code).toBe('MESHPILOT_ERR_CONFIG_YAML');
    expect(errors[0]?.path).toBe(`${join(root, 'meshpilot.yaml')}:4:1`);
    expect(errors[0]?.message).toMatch(/^YAML syntax error at line 4, column 1: /);
  });

  it('treats duplicate keys as YAML errors', async () => {
    const errors = await errorsFor('meshId: a\nmeshId: b\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/^YAML syntax error at line 2, column 1: Map keys must be unique/);
  });

  it('rejects an empty file and an unreadable path', async () => {
    expect((await errorsFor('# nothing\n')).map((e) => e.code)).toEqual(['MESHPILOT_ERR_CONFIG_EMPTY']);
    const missing = await loadConfig(join(root, 'nope.yaml'));
    expect(missing.ok ? [] : missing.errors.map((e) => [e.path, e.code])).toEqual([
      [join(root, 'nope.yaml'), 'MESHPILOT_ERR_CONFIG_READ'],
    ]);
  });

  it('a top-level list is an error at the root', async () => {
    const errors = await errorsFor('- a\n- b\n');
    expect(errors.map((e) => [e.path, e.code])).toEqual([['(root)', 'MESHPILOT_ERR_CONFIG_INVALID_TYPE']]);
  });

  it('quotes map keys that are not plain words in paths', async () => {
    const errors = await errorsFor(
      'meshNetworks:\n  networks:\n    "net.20": { gateways: [{ address: "bad host" }] }\n',
    );
    expect(errors.map((e) => e.path)).toEqual(['meshNetworks.networks["net.20"].gateways[0].address']);
  });
});

describe('loadConfig semantic checks', () => {
  async function semanticErrors(
    configText: string,
    tree: Record<string, string> = TWO_CLUSTER_FILES,
  ): Promise<string[]> {
    return (await errorsFor(configText, tree)).map((e) => `${e.path} ${e.code}`);
  }

  it('duplicate cluster names', async () => {
    expect(await semanticErrors(`${TWO_CLUSTERS}  - { name: cluster-a, manifests: ./cluster-b/ }\n`)).toEqual([
      'clusters[2].name MESHPILOT_ERR_CONFIG_DUPLICATE_CLUSTER',
    ]);
  });

  it('fromRegistry naming an unknown cluster', async () => {
    const errors = await errorsFor(
      `${TWO_CLUSTERS}meshNetworks: { networks: { group20: { endpoints: [{ fromRegistry: cluster-z }] } } }\n`,
      TWO_CLUSTER_FILES,
    );
    expect(errors).toEqual([
      {
        path: 'meshNetworks.networks.group20.endpoints[0].fromRegistry',
        message: 'unknown cluster "cluster-z": expected one of the clusters: "cluster-a", "cluster-b" (line 5)',
        code: 'MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER',
      },
    ]);
  });

  it('fromRegistry may name a kube cluster a remote secret adds, when remoteSecrets is set (as Istio)', async () => {
    const remote = `${TWO_CLUSTERS}remoteSecrets: { cluster: cluster-a }\n`;
    expect(
      await errorsFor(
        `${remote}meshNetworks: { networks: { group40: { endpoints: [{ fromRegistry: cluster-c }] } } }\n`,
        TWO_CLUSTER_FILES,
      ),
    ).toEqual([]);
    // Still one network per kube cluster.
    expect(
      await semanticErrors(
        `${remote}meshNetworks: { networks: { n1: { endpoints: [{ fromRegistry: cluster-c }] }, n2: { endpoints: [{ fromRegistry: cluster-c }] } } }\n`,
      ),
    ).toEqual(['meshNetworks.networks.n2.endpoints[0].fromRegistry MESHPILOT_ERR_CONFIG_CLUSTER_IN_TWO_NETWORKS']);
  });

  it('a cluster network that disagrees with its fromRegistry network', async () => {
    const errors = await errorsFor(
      `${TWO_CLUSTERS}meshNetworks: { networks: { group20: { endpoints: [{ fromRegistry: cluster-b }] } } }\n`,
      TWO_CLUSTER_FILES,
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['clusters[1].network', 'MESHPILOT_ERR_CONFIG_NETWORK_MISMATCH'],
    ]);
    expect(errors[0]?.message).toContain(
      'cluster "cluster-b" says network "group30" but meshNetworks puts it in network "group20"',
    );
  });

  it('a cluster without a network takes the fromRegistry network without complaint', async () => {
    const text =
      'clusters: [{ name: cluster-b, manifests: ./cluster-b/ }]\nmeshNetworks: { networks: { group20: { endpoints: [{ fromRegistry: cluster-b }] } } }\n';
    expect(await semanticErrors(text)).toEqual([]);
  });

  it('one cluster claimed by two networks', async () => {
    const text = `${TWO_CLUSTERS}meshNetworks:\n  networks:\n    group20: { endpoints: [{ fromRegistry: cluster-a }] }\n    group21: { endpoints: [{ fromRegistry: cluster-a }] }\n`;
    expect(await semanticErrors(text)).toEqual([
      'meshNetworks.networks.group21.endpoints[0].fromRegistry MESHPILOT_ERR_CONFIG_CLUSTER_IN_TWO_NETWORKS',
    ]);
  });

  it('remoteSecrets.cluster must be a kubeconfig cluster', async () => {
    expect(await semanticErrors(`${TWO_CLUSTERS}remoteSecrets: { cluster: cluster-b }\n`)).toEqual([
      'remoteSecrets.cluster MESHPILOT_ERR_CONFIG_NOT_KUBECONFIG_CLUSTER',
    ]);
    expect(await semanticErrors(`${TWO_CLUSTERS}remoteSecrets: { cluster: cluster-z }\n`)).toEqual([
      'remoteSecrets.cluster MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER',
    ]);
  });

  it('config[].cluster must name a cluster', async () => {
    expect(await semanticErrors(`${TWO_CLUSTERS}config: [{ cluster: cluster-b }, { cluster: cluster-z }]\n`)).toEqual([
      'config[1].cluster MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER',
    ]);
  });

  it('referenced kubeconfig files and manifests folders must exist with the right kind', async () => {
    const text = `
clusters:
  - { name: a, kubeconfig: ./missing.kubeconfig }
  - { name: b, kubeconfig: ./folder/ }
  - { name: c, manifests: ./missing/ }
  - { name: d, manifests: ./file.yaml }
config:
  - { manifests: ${join(root, 'absent')} }
`;
    const errors = await errorsFor(text, { 'folder/': '', 'file.yaml': 'x: 1\n' });
    expect(errors.map((e) => `${e.path} ${e.code}`)).toEqual([
      'clusters[0].kubeconfig MESHPILOT_ERR_CONFIG_FILE_NOT_FOUND',
      'clusters[1].kubeconfig MESHPILOT_ERR_CONFIG_NOT_A_FILE',
      'clusters[2].manifests MESHPILOT_ERR_CONFIG_FOLDER_NOT_FOUND',
      'clusters[3].manifests MESHPILOT_ERR_CONFIG_NOT_A_FOLDER',
      'config[0].manifests MESHPILOT_ERR_CONFIG_FOLDER_NOT_FOUND',
    ]);
    expect(errors[0]?.message).toBe(
      `kubeconfig file "./missing.kubeconfig" (${join(root, 'missing.kubeconfig')}) does not exist (line 3)`,
    );
    expect(errors[4]?.message).toBe(`manifests folder "${join(root, 'absent')}" does not exist (line 8)`);
  });

  it('debounce.quietMs must not exceed maxMs, defaults included', async () => {
    expect(await semanticErrors('debounce: { quietMs: 200, maxMs: 100 }\n')).toEqual([
      'debounce.quietMs MESHPILOT_ERR_CONFIG_DEBOUNCE_RANGE',
    ]);
    expect(await semanticErrors('debounce: { quietMs: 1500 }\n')).toEqual([
      'debounce.quietMs MESHPILOT_ERR_CONFIG_DEBOUNCE_RANGE',
    ]);
    expect(await semanticErrors('debounce: { quietMs: 1000, maxMs: 1000 }\n')).toEqual([]);
  });

  it('collects schema and semantic errors together instead of stopping at the first', async () => {
    const text = `
meshId: ""
clusters:
  - { name: cluster-a, manifests: ./nowhere/, colour: blue }
  - { name: cluster-a, manifests: ./nowhere/ }
config: [{ cluster: ghost }]
debounce: { quietMs: 5000 }
`;
    expect(await semanticErrors(text)).toEqual([
      'meshId MESHPILOT_ERR_CONFIG_INVALID_VALUE',
      'clusters[0].colour MESHPILOT_ERR_CONFIG_UNKNOWN_KEY',
      'clusters[1].name MESHPILOT_ERR_CONFIG_DUPLICATE_CLUSTER',
      'config[0].cluster MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER',
      'debounce.quietMs MESHPILOT_ERR_CONFIG_DEBOUNCE_RANGE',
      'clusters[0].manifests MESHPILOT_ERR_CONFIG_FOLDER_NOT_FOUND',
      'clusters[1].manifests MESHPILOT_ERR_CONFIG_FOLDER_NOT_FOUND',
    ]);
  });
});
