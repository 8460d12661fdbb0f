import { join } from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../model/build-snapshot.ts';
import { startTestMeshpilot } from '../../e2e/support/meshpilot-process.ts';
import { tempDir, toYaml } from '../../e2e/support/mesh-fixture.ts';
import { runValidate } from '../cli/validate-command.ts';
import { reduceEndpointSlice, reducePod, reduceService } from './reduce.ts';

const service = (ports: unknown[], labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', labels },
  spec: { clusterIP: '10.96.0.10', ports },
});
const slice = (
  name: string,
  endpoints: { addresses: unknown[]; ready?: boolean; pod?: string }[],
  createdAt = '2026-01-01T00:00:00Z',
  ports: unknown[] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name,
    namespace: 'default',
    creationTimestamp: createdAt,
    labels: { 'kubernetes.io/service-name': 'web' },
  },
  addressType: 'IPv4',
  ports,
  endpoints: endpoints.map((e) => ({
    addresses: e.addresses,
    conditions: { ready: e.ready ?? true },
    ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: 'default' } } : {}),
  })),
});
const HTTP = { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' };

describe('registry input validated at the door (issue 13 point 3)', () => {
  it('drops invalid Service ports, protocols and label values, saying what', () => {
    const record = reduceService(
      service(
        [HTTP, { name: 'big', port: 70000 }, { name: 'neg', port: -1 }, { name: 'x', port: 81, protocol: 'HTTP' }],
        { app: 'web', bad: 'not a label value!' },
      ),
    );
    expect(record.ports.map((p) => p.port)).toEqual([80]);
    expect(record.labels).toEqual({ app: 'web' });
    expect(record.dropped).toEqual([
      'label bad: invalid value "not a label value!"',
      'port 70000: not a port number (1-65535)',
      'port -1: not a port number (1-65535)',
      'port 81: unknown protocol "HTTP"',
    ]);
    expect(reduceService(service([HTTP])).dropped).toBeUndefined();
  });

  it('drops non-IP addresses and bad ports of EndpointSlices, and bad pod IPs', () => {
    const record = reduceEndpointSlice(
      slice('web-1', [{ addresses: ['10.1.0.1', 'not-an-ip', '::1', 7] }], undefined, [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'bad', port: 0, protocol: 'TCP' },
      ]),
    );
    expect(record.endpoints[0]!.addresses).toEqual(['10.1.0.1']);
    expect(record.ports.map((p) => p.port)).toEqual([8080]);
    expect(record.dropped).toHaveLength(4);
    const pod = reducePod({ kind: 'Pod', metadata: { name: 'p' }, status: { podIP: '999.1.1.1' } });
    expect(pod.ip).toBeUndefined();
    expect(pod.dropped).toEqual(['podIP "999.1.1.1": not an IP address']);
  });

  it('sends an address found in several slices of a service once: ready wins, then the newest slice', () => {
    const build = (slices: ReturnType<typeof slice>[]) =>
      buildSnapshot({
        domainSuffix: 'cluster.local',
        trustDomain: 'cluster.local',
        meshNetworks: { networks: {} },
        kubeClusters: [
          {
            name: 'cluster-a',
            services: new Map([['default/web', reduceService(service([HTTP]))]]),
            endpointSlices: new Map(slices.map((s) => [`default/${s.metadata.name}`, reduceEndpointSlice(s)])),
            pods: new Map([
              ['default/old', reducePod({ metadata: { name: 'old' }, status: { podIP: '10.1.0.1' } })],
              ['default/new', reducePod({ metadata: { name: 'new' }, status: { podIP: '10.1.0.1' } })],
            ]),
            nodes: new Map(),
          },
        ],
      })
        .endpoints.get('web.default.svc.cluster.local')!
        .get(80)!;
    const older = slice('web-a', [{ addresses: ['10.1.0.1', '10.1.0.2'], pod: 'old' }], '2026-01-01T00:00:00Z');
    const newer = slice('web-b', [{ addresses: ['10.1.0.1'], pod: 'new' }], '2026-02-01T00:00:00Z');
    const both = build([newer, older]);
    expect(both.map((e) => e.address)).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(both[0]!.podName).toBe('new');
    // A ready endpoint wins over a newer not-ready one.
    const notReady = slice('web-b', [{ addresses: ['10.1.0.1'], pod: 'new', ready: false }], '2026-02-01T00:00:00Z');
    const readyWins = build([older, notReady]);
    expect(readyWins.map((e) => e.address)).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(readyWins[0]).toMatchObject({ podName: 'old', ready: true });
  });

  describe('serve and validate', () => {
    let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
    afterEach(async () => {
      await dir?.remove();
      dir = undefined;
    });

    it('serve lists dropped values on /debug/registryz and counts them; validate reports the same', async () => {
      dir = await tempDir('dropped');
      const manifests = join(dir.path, 'cluster-a');
      await mkdir(manifests, { recursive: true });
      await writeFile(
        join(manifests, 'web.yaml'),
        toYaml([
          service([HTTP, { name: 'big', port: 70000 }]),
          slice('web-1', [{ addresses: ['10.1.0.1', 'not-an-ip'] }]),
        ]),
      );
      const meshpilot = await startTestMeshpilot(dir.path, { clusters: [{ name: 'cluster-a', manifests }] });
      try {
        const registryz = (await (await fetch(`${meshpilot.adminUrl}/debug/registryz`)).json()) as {
          droppedInputs: { kubeCluster: string; kind: string; key: string; dropped: string[] }[];
        };
        expect(registryz.droppedInputs).toEqual([
          {
            kubeCluster: 'cluster-a',
            kind: 'Service',
            key: 'default/web',
            dropped: ['port 70000: not a port number (1-65535)'],
          },
          {
            kubeCluster: 'cluster-a',
            kind: 'EndpointSlice',
            key: 'default/web-1',
            dropped: ['address "not-an-ip": not an IPv4 address'],
          },
        ]);
        const metrics = await (await fetch(`${meshpilot.adminUrl}/metrics`)).text();
        expect(metrics).toContain('meshpilot_registry_inputs_dropped_total{kubeCluster="cluster-a",kind="Service"} 1');
        const endpoints = meshpilot.cache.currentSnapshot()?.endpoints.get('web.default.svc.cluster.local');
        expect([...(endpoints?.get(80) ?? [])].map((e) => e.address)).toEqual(['10.1.0.1']);
      } finally {
        await meshpilot.stop();
      }
      const lines: string[] = [];
      const code = await runValidate(join(dir.path, 'meshpilot.yaml'), { write: (line) => lines.push(line) });
      expect(code).toBe(0);
      expect(lines).toContain(
        'warning: kube cluster cluster-a: Service default/web: port 70000: not a port number (1-65535) (dropped) [MESHPILOT_WARN_REGISTRY_INPUT_DROPPED]\n',
      );
      expect(lines.at(-1)).toContain('serve would drop 2 invalid values (warnings above)');
    });
  });
});
