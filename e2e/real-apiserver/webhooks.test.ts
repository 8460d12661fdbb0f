import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runValidate } from '../../server/cli/validate-command.ts';
import type { RealKubeCluster } from '../support/real-kube-cluster.ts';
import {
  applyInjectionNamespaces,
  registerNode,
  startWebhookMember,
  type RealMeshpilot,
  type WebhookMember,
} from '../support/real-meshpilot.ts';

/**
 * meshpilot's webhooks (`webhooks:`, HTTPS on the port istiod uses for them, 15017) called by a real
 * kube-apiserver: webhook configurations registered with the URL of meshpilot on 127.0.0.1 and
 * caBundle = meshpilot's root, as in Istio's external control plane install.
 */

const badVirtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'sample' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 60 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 30 },
        ],
      },
    ],
  },
};

describe('webhooks on a real kube-apiserver', { timeout: 120_000 }, () => {
  let setup: WebhookMember | undefined;
  let dir: string;
  let member: RealKubeCluster;
  let meshpilot: RealMeshpilot;
  let url: string;

  beforeAll(async () => {
    setup = await startWebhookMember('webhooks');
    ({ dir, member, meshpilot } = setup);
    await member.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample' } }]);
    url = `https://127.0.0.1:${meshpilot.webhookPort}`;
  }, 300_000);

  afterAll(() => setup?.stop(), 60_000);

  it('refuses a bad VirtualService at kubectl apply with the lines `meshpilot validate` prints, and admits a good one', async () => {
    await member.apply([
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'istio-validator-meshpilot' },
        webhooks: [
          {
            name: 'rev.validation.istio.io',
            clientConfig: {
              url: `${url}/validate`,
              caBundle: Buffer.from(meshpilot.rootCertPem).toString('base64'),
            },
            rules: [
              {
                operations: ['CREATE', 'UPDATE'],
                apiGroups: ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io'],
                apiVersions: ['*'],
                resources: ['*'],
              },
            ],
            failurePolicy: 'Fail',
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
          },
        ],
      },
    ]);

    // What `meshpilot validate` says about the same object in a manifest folder.
    const folder = join(dir, 'validate', 'istio');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'reviews.yaml'), stringify(badVirtualService));
    await writeFile(join(dir, 'validate', 'meshpilot.yaml'), stringify({ config: [{ manifests: './istio' }] }));
    const printed: string[] = [];
    expect(await runValidate(join(dir, 'validate', 'meshpilot.yaml'), { write: (l) => printed.push(l) })).toBe(1);
    const expected = printed
      .map((line) => line.trim())
      .filter((line) => line.includes('MESHPILOT_ERR_ISTIO_CONFIG_INVALID'));
    expect(expected).toEqual([
      expect.stringMatching(/^VirtualService sample\/reviews: spec\.http\[0\]\.route: the weights .* sum to 90/),
    ]);

    const refused = await member.apply([badVirtualService]).then(
      () => 'applied',
      (error: unknown) => String(error),
    );
    expect(refused).toContain('admission webhook "rev.validation.istio.io" denied the request');
    expect(refused).toContain(expected[0]);
    expect((await member.get('/apis/networking.istio.io/v1/namespaces/sample/virtualservices/reviews')).status).toBe(
      404,
    );

    const good = structuredClone(badVirtualService);
    good.spec.http[0]!.route[1]!.weight = 40;
    await member.apply([good]);
    expect((await member.get('/apis/networking.istio.io/v1/namespaces/sample/virtualservices/reviews')).status).toBe(
      200,
    );
  });

  it('injects istio-init and istio-proxy into a Pod created in a namespace labelled for injection, as Istio does', async () => {
    const caBundle = Buffer.from(meshpilot.rootCertPem).toString('base64');
    const webhook = (name: string, namespaceSelector: Record<string, unknown>) => ({
      name,
      clientConfig: { url: `${url}/inject/cluster/member/net/network-1`, caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      namespaceSelector,
      objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
      failurePolicy: 'Fail',
      sideEffects: 'None',
      reinvocationPolicy: 'Never',
      admissionReviewVersions: ['v1'],
    });
    // Istio's istio-sidecar-injector selectors: istio-injection=enabled, or istio.io/rev=<revision> without it.
    await member.apply([
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'istio-sidecar-injector-meshpilot' },
        webhooks: [
          webhook('namespace.sidecar-injector.istio.io', {
            matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
          }),
          webhook('rev.namespace.sidecar-injector.istio.io', {
            matchExpressions: [
              { key: 'istio.io/rev', operator: 'In', values: ['default'] },
              { key: 'istio-injection', operator: 'DoesNotExist' },
            ],
          }),
        ],
      },
    ]);
    await applyInjectionNamespaces(member);
    const pod = (namespace: string, name: string, annotations: Record<string, string> = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { app: 'helloworld', version: 'v1' }, annotations },
      spec: {
        serviceAccountName: 'app',
        containers: [
          { name: 'app', image: 'registry.example/helloworld:1', ports: [{ containerPort: 5000, name: 'grpc' }] },
        ],
      },
    });
    type Container = {
      name: string;
      image: string;
      args?: string[];
      env?: { name: string; value?: string }[];
      restartPolicy?: string;
    };
    type PodAnswer = {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        containers: Container[];
        initContainers?: Container[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
    const created = async (namespace: string, name: string, annotations?: Record<string, string>): Promise<PodAnswer> =>
      (await member.call(
        'POST',
        `/api/v1/namespaces/${namespace}/pods`,
        pod(namespace, name, annotations),
      )) as PodAnswer;
    const env = (container: Container | undefined, name: string): string | undefined =>
      container?.env?.find((e) => e.name === name)?.value;

    for (const namespace of ['injected', 'revision']) {
      const answer = await created(namespace, 'helloworld');
      expect(answer.spec.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
      expect(answer.spec.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
      const proxy = answer.spec.containers[1];
      expect(proxy?.image).toBe('docker.io/istio/proxyv2:1.29.0');
      expect(proxy?.args?.slice(0, 4)).toEqual(['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local']);
      expect(env(proxy, 'CA_ADDR')).toBe('meshpilot.example.com:15012');
      expect(JSON.parse(env(proxy, 'PROXY_CONFIG') ?? '{}')).toMatchObject({
        discoveryAddress: 'meshpilot.example.com:15012',
      });
      expect(env(proxy, 'ISTIO_META_CLUSTER_ID')).toBe('member');
      expect(env(proxy, 'ISTIO_META_NETWORK')).toBe('network-1');
      expect(env(proxy, 'ISTIO_META_APP_CONTAINERS')).toBe('app');
      expect(JSON.parse(env(proxy, 'ISTIO_META_POD_PORTS') ?? '[]')).toEqual([
        { containerPort: 5000, name: 'grpc', protocol: 'TCP' },
      ]);
      expect(answer.spec.initContainers?.[0]?.args?.slice(0, 2)).toEqual(['istio-iptables', '-p']);
      expect(answer.spec.volumes?.find((v) => v.name === 'istiod-ca-cert')?.configMap?.name).toBe('istio-ca-root-cert');
      expect(answer.metadata.labels).toMatchObject({
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': 'helloworld',
        'service.istio.io/canonical-revision': 'v1',
      });
      expect(JSON.parse(answer.metadata.annotations?.['sidecar.istio.io/status'] ?? '{}')).toEqual({
        initContainers: ['istio-init'],
        containers: ['istio-proxy'],
        volumes: [
          'workload-socket',
          'credential-socket',
          'workload-certs',
          'istio-envoy',
          'istio-data',
          'istio-podinfo',
          'istio-token',
          'istiod-ca-cert',
          'istio-ca-crl',
        ],
        imagePullSecrets: null,
        revision: 'default',
      });
    }

    // Not labelled, or opted out: left alone.
    expect((await created('plain', 'helloworld')).spec.containers.map((c) => c.name)).toEqual(['app']);
    const optedOut = (await member.call('POST', '/api/v1/namespaces/injected/pods', {
      ...pod('injected', 'opted-out'),
      metadata: { name: 'opted-out', namespace: 'injected', labels: { 'sidecar.istio.io/inject': 'false' } },
    })) as PodAnswer;
    expect(optedOut.spec.containers.map((c) => c.name)).toEqual(['app']);

    // Proxyless gRPC: the grpc-agent template, no istio-init, the bootstrap path given to the app.
    const grpc = await created('injected', 'grpc-client', { 'inject.istio.io/templates': 'grpc-agent' });
    expect(grpc.spec.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
    expect(grpc.spec.initContainers ?? []).toEqual([]);
    expect(env(grpc.spec.containers[1], 'ISTIO_META_GENERATOR')).toBe('grpc');
    expect(env(grpc.spec.containers[1], 'DISABLE_ENVOY')).toBe('true');
    expect(env(grpc.spec.containers[0], 'GRPC_XDS_BOOTSTRAP')).toBe('/etc/istio/proxy/grpc-bootstrap.json');
    expect(grpc.metadata.labels['security.istio.io/tlsMode']).toBeUndefined();

    // webhooks.nativeSidecars auto (istiod's ENABLE_NATIVE_SIDECARS default): a pod scheduled on a node at
    // kubelet 1.33+ gets istio-proxy as a native sidecar; an unscheduled one still needs every node at 1.33+.
    await registerNode(member, meshpilot, 'kubelet-1-36', 'v1.36.1');
    const scheduled = (await member.call('POST', '/api/v1/namespaces/injected/pods', {
      ...pod('injected', 'scheduled'),
      spec: { ...pod('injected', 'scheduled').spec, nodeName: 'kubelet-1-36' },
    })) as PodAnswer;
    expect(scheduled.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(scheduled.spec.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([
      ['istio-init', undefined],
      ['istio-proxy', 'Always'],
    ]);
    expect((await created('injected', 'unscheduled')).spec.containers.map((c) => c.name)).toEqual([
      'app',
      'istio-proxy',
    ]);
  });
});
