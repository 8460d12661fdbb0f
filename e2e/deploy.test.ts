/**
 * deploy/: the manifests that host meshpilot and the member-cluster reader, checked structurally here;
 * e2e/real-apiserver/registry.test.ts applies them to a real API server with kubectl and runs meshpilot
 * with exactly the member-cluster role.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.ts';
import { tokenSecretName } from '../cli/create-remote-secret.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}
type Tree = { [key: string]: Tree } & Tree[];

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return (
    entries
      // deploy/helm/ holds Helm charts (templates, not manifests): e2e/helm-charts.test.ts renders them.
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !e.parentPath.startsWith(join(DEPLOY, 'helm')))
      .map((e) => join(e.parentPath, e.name))
      .sort()
  );
}

async function manifests(dir: string): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const file of await yamlFiles(dir)) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      out.push(doc.toJS() as Manifest);
    }
  }
  return out;
}

const at = (value: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node === undefined || node === null ? undefined : (node as Tree)[/^\d+$/.test(key) ? Number(key) : key],
      value,
    );

describe('deploy/ manifests', () => {
  let all: Manifest[];
  const find = (kind: string, name: string): Manifest => {
    const found = all.find((m) => m.kind === kind && m.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/`);
    return found;
  };
  beforeAll(async () => {
    all = await manifests(DEPLOY);
  });

  it('every document has apiVersion, kind and metadata.name', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    for (const m of all) {
      expect(typeof m.apiVersion, JSON.stringify(m).slice(0, 80)).toBe('string');
      expect(typeof m.kind).toBe('string');
      expect(typeof m.metadata?.name).toBe('string');
    }
  });

  it('runs 2 non-root replicas kept apart, probed on the admin port, with resources, behind a Service on 15010/15012/15014 and a PDB', () => {
    const deployment = find('Deployment', 'meshpilot');
    expect(at(deployment, 'spec.replicas')).toBe(2);
    const pod = at(deployment, 'spec.template.spec');
    const container = at(pod, 'containers.0');
    expect(at(container, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 15014 });
    expect(at(container, 'livenessProbe.httpGet')).toEqual({ path: '/healthz', port: 15014 });
    expect(at(container, 'resources.requests')).toBeDefined();
    expect(at(container, 'resources.limits.memory')).toBeDefined();
    expect(at(pod, 'securityContext.runAsNonRoot')).toBe(true);
    expect(at(container, 'securityContext.allowPrivilegeEscalation')).toBe(false);
    const podLabels = at(deployment, 'spec.template.metadata.labels') as Record<string, string>;
    expect(
      at(
        pod,
        'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm.labelSelector.matchLabels',
      ),
    ).toEqual(podLabels);
    expect(at(deployment, 'spec.selector.matchLabels')).toEqual(podLabels);

    const service = find('Service', 'meshpilot');
    expect((at(service, 'spec.ports') as { port: number }[]).map((p) => p.port).sort()).toEqual([15010, 15012, 15014]);
    expect(at(service, 'spec.selector')).toEqual(podLabels);
    const pdb = find('PodDisruptionBudget', 'meshpilot');
    expect(at(pdb, 'spec.minAvailable')).toBe(1);
    expect(at(pdb, 'spec.selector.matchLabels')).toEqual(podLabels);
  });

  it('mounts the ConfigMap where --config points, and its meshpilot.yaml is accepted (mounted files stood in for)', async () => {
    const deployment = find('Deployment', 'meshpilot');
    const args = at(deployment, 'spec.template.spec.containers.0.args') as string[];
    const configPath = args[args.indexOf('--config') + 1] ?? '';
    const mounts = at(deployment, 'spec.template.spec.containers.0.volumeMounts') as {
      name: string;
      mountPath: string;
    }[];
    const volumes = at(deployment, 'spec.template.spec.volumes') as { name: string; configMap?: { name: string } }[];
    const configMount = mounts.find((m) => configPath.startsWith(`${m.mountPath}/`));
    const configMapName = volumes.find((v) => v.name === configMount?.name)?.configMap?.name;
    expect(configMapName).toBe('meshpilot');
    const key = configPath.slice((configMount?.mountPath.length ?? 0) + 1);
    const text = (at(find('ConfigMap', 'meshpilot'), `data`) as Record<string, string>)[key] ?? '';
    expect(text).toContain('clusters:');
    const dir = await mkdtemp(join(tmpdir(), 'meshpilot-deploy-config-'));
    try {
      await writeFile(join(dir, 'cluster-1'), 'apiVersion: v1\nkind: Config\n');
      const result = await parseConfigText(
        text.replaceAll('/etc/meshpilot/config-cluster/', `${dir}/`),
        join(dir, 'meshpilot.yaml'),
      );
      expect(result.ok ? [] : result.errors).toEqual([]);
      if (result.ok) {
        expect(result.config.listen.admin).toBe('0.0.0.0:15014');
        expect(result.config.security?.caDir).toBe('/etc/meshpilot/ca');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the member-cluster reader what meshpilot reads, TokenReview, and the token Secret create-remote-secret looks for', () => {
    const role = find('ClusterRole', 'meshpilot-reader');
    const rules = at(role, 'rules') as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const [group, resource] of [
      ['', 'services'],
      ['', 'pods'],
      ['', 'nodes'],
      ['', 'namespaces'],
      ['discovery.k8s.io', 'endpointslices'],
      ['networking.istio.io', 'destinationrules'],
      ['networking.istio.io', 'virtualservices'],
      ['security.istio.io', 'peerauthentications'],
    ] as const) {
      for (const verb of ['get', 'list', 'watch'])
        expect(allows(group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    expect(allows('authentication.k8s.io', 'tokenreviews', 'create')).toBe(true);
    expect(at(find('ClusterRoleBinding', 'meshpilot-reader'), 'subjects.0')).toEqual({
      kind: 'ServiceAccount',
      name: 'meshpilot-reader',
      namespace: 'istio-system',
    });
    const secretsRole = find('Role', 'meshpilot-reader-secrets');
    expect(secretsRole.metadata.namespace).toBe('istio-system');
    expect(at(secretsRole, 'rules.0')).toEqual({
      apiGroups: [''],
      resources: ['secrets'],
      verbs: ['get', 'list', 'watch'],
    });
    const token = find('Secret', tokenSecretName('meshpilot-reader'));
    expect(token.metadata.annotations?.['kubernetes.io/service-account.name']).toBe('meshpilot-reader');
    expect(token['type']).toBe('kubernetes.io/service-account-token');
    expect(find('ServiceAccount', 'meshpilot-reader').metadata.namespace).toBe('istio-system');
  });
});
