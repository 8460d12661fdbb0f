import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realKubeBinaries } from '../../e2e/support/real-kube-cluster.ts';
import { injectAdmission, injectPod, pathParameters } from './inject-webhook.ts';
import type { Json } from './sidecar-template.ts';

const SETTINGS = {
  revision: 'default',
  proxyImage: 'docker.io/istio/proxyv2:1.29.0',
  discoveryAddress: 'meshpilot.example.com:15012',
  meshId: 'mesh1',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
};

const pod = (extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}) => ({
  metadata: { name: 'web-0', namespace: 'sample', labels: { app: 'web' }, annotations },
  spec: { containers: [{ name: 'web', image: 'web:1' }], ...extra },
});

type Spec = { containers: Json[]; initContainers?: Json[]; volumes: Json[] };
const specOf = (injected: unknown): Spec => (injected as { spec: Spec }).spec;
const envNames = (container: Json | undefined): string[] =>
  ((container?.['env'] as { name: string }[] | undefined) ?? []).map((e) => e.name);
const patchedOps = (response: { patch?: string }) =>
  response.patch === undefined ? [] : (JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Json[]);

/** The pinned Istio's templates, in the Go module cache next to the CRDs the real API server tests use. */
function istioTemplate(name: string): string | undefined {
  try {
    const chartFiles = join(
      dirname(realKubeBinaries().istioCrds),
      '..',
      '..',
      'istio-control',
      'istio-discovery',
      'files',
    );
    const path = join(chartFiles, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

describe('sidecar injection (pure)', () => {
  it("reads Istio's /inject/cluster/<id>/net/<network> path parameters", () => {
    expect(pathParameters('/inject/cluster/cluster-a/net/network-1')).toEqual({
      clusterId: 'cluster-a',
      network: 'network-1',
    });
    expect(pathParameters('/inject')).toEqual({});
  });

  it('leaves opted-out, host-network, ignored-namespace and injected pods alone', () => {
    const review = (object: unknown, namespace = 'sample') =>
      injectAdmission({ uid: 'u', kind: { kind: 'Pod' }, namespace, object }, '/inject', SETTINGS);
    expect(review(pod({}, { 'sidecar.istio.io/inject': 'false' })).patch).toBeUndefined();
    expect(review(pod({ hostNetwork: true })).patch).toBeUndefined();
    expect(review(pod(), 'kube-system').patch).toBeUndefined();
    expect(review(pod({}, { 'sidecar.istio.io/status': '{}' })).patch).toBeUndefined();
    const injected = review(pod());
    expect(injected.allowed).toBe(true);
    expect(patchedOps(injected).map((op) => op['path'])).toEqual([
      '/metadata/labels',
      '/metadata/annotations',
      '/spec/initContainers',
      '/spec/containers',
      '/spec/volumes',
    ]);
    expect(review({ metadata: {} }).allowed).toBe(false);
  });

  it('puts istio-init after the pod’s own init containers and Istio’s volumes before the pod’s, as Istio', () => {
    const spec = specOf(
      injectPod(
        {
          ...pod({ initContainers: [{ name: 'setup' }], volumes: [{ name: 'data', emptyDir: {} }] }),
        },
        'sample',
        { ...SETTINGS, clusterId: 'c', network: '' },
      ),
    );
    expect((spec.initContainers ?? []).map((c) => c['name'])).toEqual(['setup', 'istio-init']);
    expect(spec.volumes.at(-1)?.['name']).toBe('data');
    expect(envNames(spec.containers[1])).not.toContain('ISTIO_META_NETWORK');
  });

  it("emits only env variables, volumes and mounts that the pinned Istio's templates define", () => {
    const sidecarTemplate = istioTemplate('injection-template.yaml');
    const grpcTemplate = istioTemplate('grpc-agent.yaml');
    if (sidecarTemplate === undefined || grpcTemplate === undefined) {
      console.warn('Istio module not in the Go module cache (run interop/build-all.sh); template check skipped');
      return;
    }
    const settings = { ...SETTINGS, clusterId: 'c', network: 'n' };
    const cases = [
      { template: sidecarTemplate, spec: specOf(injectPod(pod(), 'sample', settings)) },
      {
        template: grpcTemplate,
        spec: specOf(injectPod(pod({}, { 'inject.istio.io/templates': 'grpc-agent' }), 'sample', settings)),
      },
    ];
    for (const { template, spec } of cases) {
      const names = [
        ...spec.containers.flatMap((c) => envNames(c)),
        ...(spec.initContainers ?? []).map((c) => String(c['name'])),
        ...spec.volumes.map((v) => String(v['name'])),
        ...spec.containers.flatMap((c) =>
          ((c['volumeMounts'] as { mountPath: string }[] | undefined) ?? []).map((m) => m.mountPath),
        ),
      ];
      expect(names.length).toBeGreaterThan(20);
      for (const name of names) expect(template, name).toContain(name);
    }
  });
});
