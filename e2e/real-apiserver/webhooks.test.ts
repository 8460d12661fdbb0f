import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runValidate } from '../../server/cli/validate-command.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { realKubeBinaries, startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { startRealMeshpilot } from '../support/real-meshpilot.ts';

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
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let member: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let url: string;

  beforeAll(async () => {
    dir = await tempDir('webhooks');
    [member] = await startRealKubeClusters(dir.path, [{ name: 'member' }]);
    await member.kubectl(['apply', '--server-side', '-f', realKubeBinaries().istioCrds]);
    await member.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    await member.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sample' } }]);
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [{ name: 'member', kubeconfig: member.kubeconfigPath }],
      webhooks: { discoveryAddress: 'meshpilot.example.com:15012' },
    });
    url = `https://127.0.0.1:${meshpilot.webhookPort}`;
  }, 300_000);

  afterAll(async () => {
    await meshpilot?.stop();
    await member?.stop();
    await dir?.remove();
  }, 60_000);

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
    const folder = join(dir.path, 'validate', 'istio');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'reviews.yaml'), stringify(badVirtualService));
    await writeFile(join(dir.path, 'validate', 'meshpilot.yaml'), stringify({ config: [{ manifests: './istio' }] }));
    const printed: string[] = [];
    expect(await runValidate(join(dir.path, 'validate', 'meshpilot.yaml'), { write: (l) => printed.push(l) })).toBe(1);
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
});
