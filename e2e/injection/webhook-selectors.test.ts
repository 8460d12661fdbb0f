import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Helm } from '../support/helm.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { istioInjects } from './istio-injector.ts';

/**
 * Which namespaces and Pods reach /inject is decided by the kube-apiserver from the
 * MutatingWebhookConfiguration: meshpilot-member's (rendered by the real helm) must select exactly as the
 * one Istio's istio-discovery chart renders (interop/istio-injector) for the same revision: namespace label
 * istio-injection=enabled or istio.io/rev=<revision>, the pod's sidecar.istio.io/inject and istio.io/rev
 * labels. Only caBundle is left out: istiod patches it into its configuration at run time, meshpilot-member
 * sets it at install.
 */

const MEMBER = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'meshpilot-member');
const VALUES = {
  proxyImage: 'docker.io/istio/proxyv2:1.29.0',
  discoveryAddress: 'meshpilot.example.com:15012',
  meshId: 'mesh1',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
};

const withoutCaBundle = (hooks: unknown[]): unknown[] =>
  hooks.map((hook) => {
    const { clientConfig, ...rest } = hook as { clientConfig?: Record<string, unknown> };
    const { caBundle: _caBundle, ...client } = clientConfig ?? {};
    return { ...rest, clientConfig: client };
  });

describe("meshpilot-member's injection webhooks select as Istio's", { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let helm: Helm;

  beforeAll(async () => {
    dir = await tempDir('webhook-selectors');
    helm = await Helm.create(dir.path);
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it.each([
    ['default', ''],
    ['canary', 'canary'],
  ])('revision %s', async (revision, memberRevision) => {
    const istio = await istioInjects({ values: { ...VALUES, revision }, reviews: [] });
    const rendered = await helm.template(MEMBER, [
      '--namespace',
      'istio-system',
      '--set',
      'meshpilotAddress=192.0.2.10',
      '--set',
      'webhooks.caBundle=Uk9PVA==',
      '--set',
      `revision=${memberRevision}`,
    ]);
    const mutating = rendered.filter((o) => o.kind === 'MutatingWebhookConfiguration');
    expect(mutating).toHaveLength(1);
    const hooks = (mutating[0]?.['webhooks'] as unknown[] | undefined) ?? [];
    // Istio's chart renders two webhooks for a revision and two more for the default one.
    expect(istio.mutatingWebhooks.length).toBe(revision === 'default' ? 4 : 2);
    expect(withoutCaBundle(hooks)).toEqual(withoutCaBundle(istio.mutatingWebhooks));
  });
});
