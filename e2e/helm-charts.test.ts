/**
 * deploy/helm/: the hosted control plane's chart (meshpilot) and the member clusters' chart (meshpilot-member),
 * linted and rendered by the real helm (interop/helm); the member chart's webhook configurations are applied to a
 * real kube-apiserver that then calls meshpilot's webhooks. e2e/real-apiserver/istiod-migration.test.ts installs
 * them on real API servers, replacing a real istiod install, as the README's "From istiod to meshpilot" guide.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.ts';
import { Helm, parseObjects, type KubeObject } from './support/helm.ts';
import type { RealKubeCluster } from './support/real-kube-cluster.ts';
import {
  applyInjectionNamespaces,
  startWebhookMember,
  type RealMeshpilot,
  type WebhookMember,
} from './support/real-meshpilot.ts';

const ROOT = join(import.meta.dirname, '..');
const HOSTED = join(ROOT, 'deploy', 'helm', 'meshpilot');
const MEMBER = join(ROOT, 'deploy', 'helm', 'meshpilot-member');

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
type Port = { name: string; port: number; targetPort?: number | string; protocol: string };

const one = (objects: readonly KubeObject[], kind: string, name?: string): KubeObject => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, rendered ${found.length}`);
  return found[0] as KubeObject;
};
const field = <T>(object: unknown, ...path: (string | number)[]): T =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], object) as T;

describe('helm charts (deploy/helm/)', { timeout: 120_000 }, () => {
  let dir: string;
  let helm: Helm;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshpilot-helm-'));
    helm = await Helm.create(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('both charts pass helm lint --strict', async () => {
    for (const chart of [HOSTED, MEMBER]) {
      const run = await helm.run(['lint', '--strict', chart, '--set', 'meshpilotAddress=192.0.2.10']);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('meshpilot: 2 replicas kept apart, a PDB, a Service on 15010/15012/15014/15017, the CA and config-cluster Secrets mounted', async () => {
    const objects = await helm.template(HOSTED, ['--namespace', 'meshpilot']);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const object of objects) expect(object.metadata.namespace, object.kind).toBe('meshpilot');
    const deployment = one(objects, 'Deployment');
    expect(field(deployment, 'spec', 'replicas')).toBe(2);
    const podLabels = field<Record<string, string>>(deployment, 'spec', 'selector', 'matchLabels');
    const pod = field<Record<string, unknown>>(deployment, 'spec', 'template', 'spec');
    expect(
      field(
        pod,
        'affinity',
        'podAntiAffinity',
        'preferredDuringSchedulingIgnoredDuringExecution',
        0,
        'podAffinityTerm',
        'labelSelector',
        'matchLabels',
      ),
    ).toEqual(podLabels);
    expect(field(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
    const container = field<Record<string, unknown>>(pod, 'containers', 0);
    expect(container['image']).toBe('meshpilot:0.1.0');
    expect(field(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'http-monitoring' });
    const containerPorts = field<{ name: string; containerPort: number }[]>(container, 'ports');
    const service = one(objects, 'Service');
    expect(field(service, 'spec', 'selector')).toEqual(podLabels);
    const servicePorts = field<Port[]>(service, 'spec', 'ports');
    expect(servicePorts.map((p) => p.port)).toEqual([15010, 15012, 15014, 15017]);
    for (const port of servicePorts)
      expect(containerPorts.find((c) => c.name === port.targetPort)?.containerPort, port.name).toBe(port.port);
    const pdb = one(objects, 'PodDisruptionBudget');
    expect(field(pdb, 'spec', 'minAvailable')).toBe(1);
    expect(field(pdb, 'spec', 'selector', 'matchLabels')).toEqual(podLabels);
    const volumes = field<{ name: string; secret?: { secretName: string }; configMap?: { name: string } }[]>(
      pod,
      'volumes',
    );
    expect(volumes.find((v) => v.name === 'ca')?.secret?.secretName).toBe('meshpilot-ca');
    expect(volumes.find((v) => v.name === 'config-cluster')?.secret?.secretName).toBe('meshpilot-config-cluster');
    expect(volumes.find((v) => v.name === 'config')?.configMap?.name).toBe('meshpilot');
  });

  it("meshpilot: the ConfigMap's meshpilot.yaml is valid, names the config cluster, and merges the values over the chart's", async () => {
    const valuesFile = join(dir, 'values.yaml');
    await writeFile(
      valuesFile,
      [
        'configCluster: { name: east, network: net-east }',
        'security: { servingIps: [192.0.2.10] }',
        'config:',
        '  meshNetworks:',
        '    networks:',
        '      net-west: { endpoints: [{ fromCidr: 10.2.0.0/16 }], gateways: [{ address: 192.0.2.20, port: 15443 }] }',
        '  logLevel: debug',
      ].join('\n'),
    );
    const objects = await helm.template(HOSTED, ['-f', valuesFile]);
    const text = field<string>(one(objects, 'ConfigMap'), 'data', 'meshpilot.yaml');
    const stand = await mkdtemp(join(dir, 'mounts-'));
    await writeFile(join(stand, 'east'), 'apiVersion: v1\nkind: Config\n');
    const result = await parseConfigText(
      text.replaceAll('/etc/meshpilot/config-cluster/', `${stand}/`),
      join(stand, 'meshpilot.yaml'),
    );
    expect(result.ok ? [] : result.errors).toEqual([]);
    if (!result.ok) return;
    expect(result.config.listen).toEqual({ xds: '0.0.0.0:15010', xdsTls: '0.0.0.0:15012', admin: '0.0.0.0:15014' });
    expect(result.config.clusters.map((c) => [c.name, c.network])).toEqual([['east', 'net-east']]);
    expect(result.config.remoteSecrets).toEqual({ cluster: 'east', namespace: 'istio-system' });
    expect(result.config.config).toEqual([{ cluster: 'east' }]);
    expect(result.config.security?.caDir).toBe('/etc/meshpilot/ca');
    expect(result.config.security?.tokenReviewCluster).toBe('east');
    expect(result.config.security?.servingIps).toEqual(['192.0.2.10']);
    expect(result.config.security?.servingDnsNames).toContain('istiod.istio-system.svc');
    expect(Object.keys(result.config.meshNetworks?.networks ?? {})).toEqual(['net-west']);
    expect(result.config.logLevel).toBe('debug');
    // A changed meshpilot.yaml changes the pod template (meshpilot reads it at start), so the replicas roll.
    const checksum = (objects: KubeObject[]): string =>
      field(one(objects, 'Deployment'), 'spec', 'template', 'metadata', 'annotations', 'checksum/config');
    const again = await helm.template(HOSTED, ['-f', valuesFile, '--set', 'config.logLevel=info']);
    expect(checksum(again)).not.toBe(checksum(objects));
  });

  it('meshpilot: replicas, PDB and the CA Secret follow the values; a missing CA file fails the render naming it', async () => {
    const ca = join(dir, 'ca');
    const files: Record<string, string> = {};
    await rm(ca, { recursive: true, force: true });
    await mkdir(ca);
    for (const name of ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem']) {
      files[name] = `-----BEGIN TEST-----\n${name}\n-----END TEST-----\n`;
      await writeFile(join(ca, name), files[name] ?? '');
    }
    const setFiles = Object.keys(files).flatMap((name) => [
      '--set-file',
      `ca.files.${name.replace('.', '\\.')}=${join(ca, name)}`,
    ]);
    const objects = await helm.template(HOSTED, [
      '--set',
      'replicaCount=3',
      '--set',
      'podDisruptionBudget.minAvailable=2',
      '--set',
      'ca.create=true',
      ...setFiles,
    ]);
    expect(field(one(objects, 'Deployment'), 'spec', 'replicas')).toBe(3);
    expect(field(one(objects, 'PodDisruptionBudget'), 'spec', 'minAvailable')).toBe(2);
    const secret = one(objects, 'Secret');
    expect(secret.metadata.name).toBe('meshpilot-ca');
    const data = field<Record<string, string>>(secret, 'data');
    expect(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual(
      files,
    );
    const volumes = field<{ name: string; secret?: { secretName: string } }[]>(
      one(objects, 'Deployment'),
      'spec',
      'template',
      'spec',
      'volumes',
    );
    expect(volumes.find((v) => v.name === 'ca')?.secret?.secretName).toBe('meshpilot-ca');

    const noPdb = await helm.template(HOSTED, ['--set', 'podDisruptionBudget.enabled=false']);
    expect(noPdb.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);

    const missing = await helm.run(['template', 'test', HOSTED, '--set', 'ca.create=true', ...setFiles.slice(0, 6)]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ca.files.cert-chain\\.pem is required with ca.create');
  });

  it("meshpilot-member: the reader has exactly deploy/member-cluster's rules, and the token Secret create-remote-secret reads", async () => {
    const objects = await helm.template(MEMBER, ['--namespace', 'istio-system']);
    const reader = parseObjects(await readFile(join(ROOT, 'deploy', 'member-cluster', 'reader.yaml'), 'utf8'));
    expect(field<Rule[]>(one(objects, 'ClusterRole'), 'rules')).toEqual(
      field<Rule[]>(one(reader, 'ClusterRole'), 'rules'),
    );
    expect(field<Rule[]>(one(objects, 'Role'), 'rules')).toEqual(field<Rule[]>(one(reader, 'Role'), 'rules'));
    for (const kind of ['ClusterRoleBinding', 'RoleBinding'])
      expect(field(one(objects, kind), 'subjects')).toEqual(field(one(reader, kind), 'subjects'));
    const token = one(objects, 'Secret');
    expect(token.metadata.name).toBe('meshpilot-reader-remote-secret-token');
    expect(token.metadata.annotations?.['kubernetes.io/service-account.name']).toBe('meshpilot-reader');
    expect(token['type']).toBe('kubernetes.io/service-account-token');
    expect(objects.some((o) => o.kind === 'Service')).toBe(false);
    const noSecrets = await helm.template(MEMBER, ['--set', 'reader.remoteSecrets=false']);
    expect(noSecrets.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toBe(false);
  });

  it("meshpilot-member: the `istiod` Service points at meshpilot as Istio's external control plane (IP: EndpointSlice; host name: ExternalName)", async () => {
    const byIp = await helm.template(MEMBER, ['--namespace', 'istio-system', '--set', 'meshpilotAddress=192.0.2.10']);
    const service = one(byIp, 'Service', 'istiod');
    expect(field(service, 'spec', 'selector')).toBeUndefined();
    expect(field<Port[]>(service, 'spec', 'ports')).toEqual([
      { name: 'tcp-istiod', port: 15012, protocol: 'TCP' },
      { name: 'tcp-webhook', port: 443, targetPort: 15017, protocol: 'TCP' },
    ]);
    const slice = one(byIp, 'EndpointSlice', 'istiod');
    expect(slice.metadata.labels?.['kubernetes.io/service-name']).toBe('istiod');
    expect(field(slice, 'addressType')).toBe('IPv4');
    expect(field(slice, 'endpoints')).toEqual([{ addresses: ['192.0.2.10'] }]);
    expect(field<Port[]>(slice, 'ports').map((p) => [p.name, p.port])).toEqual([
      ['tcp-istiod', 15012],
      ['tcp-webhook', 15017],
    ]);

    const byIpv6 = await helm.template(MEMBER, ['--set', 'meshpilotAddress=2001:db8::10']);
    expect(field(one(byIpv6, 'EndpointSlice'), 'addressType')).toBe('IPv6');

    const byName = await helm.template(MEMBER, [
      '--set',
      'meshpilotAddress=meshpilot.example.com',
      '--set',
      'revision=canary',
    ]);
    const named = one(byName, 'Service', 'istiod-canary');
    expect(field(named, 'spec', 'type')).toBe('ExternalName');
    expect(field(named, 'spec', 'externalName')).toBe('meshpilot.example.com');
    expect(named.metadata.labels?.['istio.io/rev']).toBe('canary');
    expect(byName.some((o) => o.kind === 'EndpointSlice')).toBe(false);
  });

  it("meshpilot-member: Istio's injector and validator webhook configurations, through the istiod Service or by URL, with caBundle", async () => {
    const byService = await helm.template(MEMBER, [
      '--namespace',
      'istio-system',
      '--set',
      'meshpilotAddress=192.0.2.10',
      '--set',
      'webhooks.caBundle=Uk9PVA==',
    ]);
    const injector = one(byService, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    type Webhook = {
      name: string;
      clientConfig: { url?: string; caBundle: string; service?: Record<string, unknown> };
      namespaceSelector?: unknown;
      objectSelector?: unknown;
    };
    const hooks = field<Webhook[]>(injector, 'webhooks');
    // Istio's four cases (istio-discovery's mutatingwebhook.yaml, default revision).
    expect(hooks.map((h) => h.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
      'namespace.sidecar-injector.istio.io',
      'object.sidecar-injector.istio.io',
    ]);
    for (const hook of hooks) {
      expect(hook.clientConfig).toEqual({
        service: { name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 },
        caBundle: 'Uk9PVA==',
      });
    }
    expect(hooks[2]?.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
    });
    const validator = one(byService, 'ValidatingWebhookConfiguration', 'istiod-default-validator');
    expect(field(validator, 'webhooks', 0, 'clientConfig', 'service')).toEqual({
      name: 'istiod',
      namespace: 'istio-system',
      path: '/validate',
      port: 443,
    });
    expect(field(validator, 'webhooks', 0, 'objectSelector')).toBeUndefined();

    // A revision: only the revision's two cases, and the validator for objects of that revision.
    const canary = await helm.template(MEMBER, [
      '--set',
      'revision=canary',
      '--set',
      'webhooks.caBundle=Uk9PVA==',
      '--set',
      'webhooks.injectionURL=https://meshpilot.example.com:15017/inject/cluster/east/net/net-east',
      '--set',
      'webhooks.validationURL=https://meshpilot.example.com:15017/validate',
    ]);
    const canaryHooks = field<Webhook[]>(
      one(canary, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary'),
      'webhooks',
    );
    expect(canaryHooks.map((h) => [h.name, h.clientConfig.url])).toEqual([
      [
        'rev.namespace.sidecar-injector.istio.io',
        'https://meshpilot.example.com:15017/inject/cluster/east/net/net-east',
      ],
      ['rev.object.sidecar-injector.istio.io', 'https://meshpilot.example.com:15017/inject/cluster/east/net/net-east'],
    ]);
    const canaryValidator = one(canary, 'ValidatingWebhookConfiguration', 'istiod-default-validator-canary');
    expect(field(canaryValidator, 'webhooks', 0, 'name')).toBe('rev.validation.istio.io');
    expect(field(canaryValidator, 'webhooks', 0, 'clientConfig', 'url')).toBe(
      'https://meshpilot.example.com:15017/validate',
    );
    expect(field(canaryValidator, 'webhooks', 0, 'objectSelector')).toEqual({
      matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['canary'] }],
    });

    // No caBundle, no webhooks; a caBundle with nowhere to call fails the render naming the value.
    expect((await helm.template(MEMBER)).some((o) => o.kind.endsWith('WebhookConfiguration'))).toBe(false);
    const nowhere = await helm.run(['template', 'test', MEMBER, '--set', 'webhooks.caBundle=Uk9PVA==']);
    expect(nowhere.code).not.toBe(0);
    expect(nowhere.stderr).toContain('webhooks.injectionURL (or meshpilotAddress, for the istiod Service) is required');
  });

  it('the values files document every key the templates read (no stray keys in either)', async () => {
    for (const chart of [HOSTED, MEMBER]) {
      const values = parse(await readFile(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
      let templates = '';
      for (const file of await readdir(join(chart, 'templates')))
        templates += await readFile(join(chart, 'templates', file), 'utf8');
      const read = new Set([...templates.matchAll(/\.Values\.([A-Za-z]+)/g)].map((m) => m[1] ?? ''));
      expect([...read].filter((key) => !(key in values) && key !== 'nameOverride')).toEqual([]);
      expect(Object.keys(values).filter((key) => !read.has(key))).toEqual([]);
    }
  });
});

/**
 * The member chart's webhook configurations, rendered by the real helm and applied to a real kube-apiserver
 * (Istio's CRDs installed), calling meshpilot's 15017 by URL on loopback with caBundle = meshpilot's root: a Pod
 * is injected in each case Istio's selectors cover and not otherwise, and a bad VirtualService is refused.
 */
describe('meshpilot-member webhook configurations on a real kube-apiserver', { timeout: 180_000 }, () => {
  let setup: WebhookMember | undefined;
  let member: RealKubeCluster;
  let meshpilot: RealMeshpilot;
  let helm: Helm;

  beforeAll(async () => {
    setup = await startWebhookMember('helm-webhooks');
    ({ member, meshpilot } = setup);
    helm = await Helm.create(setup.dir);
  }, 300_000);

  afterAll(() => setup?.stop(), 60_000);

  it('injects Pods in the cases Istio selects and refuses a bad VirtualService, as the chart registers them', async () => {
    const url = `https://127.0.0.1:${meshpilot.webhookPort}`;
    const rendered = await helm.ok([
      'template',
      'meshpilot-member',
      MEMBER,
      '--namespace',
      'istio-system',
      '--set',
      `webhooks.caBundle=${Buffer.from(meshpilot.rootCertPem).toString('base64')}`,
      '--set',
      `webhooks.injectionURL=${url}/inject/cluster/member/net/network-1`,
      '--set',
      `webhooks.validationURL=${url}/validate`,
    ]);
    await member.kubectl(['create', 'namespace', 'istio-system']);
    await member.kubectl(['apply', '-f', '-'], { input: rendered });

    await applyInjectionNamespaces(member);
    const containers = async (namespace: string, name: string, labels: Record<string, string> = {}) => {
      const answer = (await member.call('POST', `/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, labels: { app: 'helloworld', ...labels } },
        spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'registry.example/helloworld:1' }] },
      })) as { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } };
      return answer.spec.containers;
    };
    const injected = await containers('injected', 'a');
    expect(injected.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
    expect(injected[1]?.env?.find((e) => e.name === 'ISTIO_META_CLUSTER_ID')?.value).toBe('member');
    expect((await containers('revision', 'a')).map((c) => c.name)).toEqual(['app', 'istio-proxy']);
    expect((await containers('plain', 'a')).map((c) => c.name)).toEqual(['app']);
    // Istio's object cases: the pod's own labels, in an unlabelled namespace.
    expect((await containers('plain', 'b', { 'sidecar.istio.io/inject': 'true' })).map((c) => c.name)).toEqual([
      'app',
      'istio-proxy',
    ]);
    expect((await containers('plain', 'c', { 'istio.io/rev': 'default' })).map((c) => c.name)).toEqual([
      'app',
      'istio-proxy',
    ]);
    expect((await containers('injected', 'd', { 'sidecar.istio.io/inject': 'false' })).map((c) => c.name)).toEqual([
      'app',
    ]);

    const virtualService = (weight: number) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'plain' },
      spec: {
        hosts: ['reviews'],
        http: [
          {
            route: [
              { destination: { host: 'reviews' }, weight: 60 },
              { destination: { host: 'ratings' }, weight },
            ],
          },
        ],
      },
    });
    const refused = await member.apply([virtualService(30)]).then(
      () => 'applied',
      (error: unknown) => String(error),
    );
    expect(refused).toContain('admission webhook "validation.istio.io" denied the request');
    expect(refused).toContain('MESHPILOT_ERR_ISTIO_CONFIG_INVALID');
    await member.apply([virtualService(40)]);
    expect((await member.get('/apis/networking.istio.io/v1/namespaces/plain/virtualservices/reviews')).status).toBe(
      200,
    );
  });
});
