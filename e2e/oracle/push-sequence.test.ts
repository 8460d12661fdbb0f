import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { AdsTestClient, node, type DecodedResponse } from '../support/ads-client.ts';
import { tempDir, toYaml, writeCluster, type FixtureService } from '../support/mesh-fixture.ts';
import { startTestMeshpilot } from '../support/meshpilot-process.ts';
import { oracleBinary } from './istio-answer.ts';

const run = promisify(execFile);

/**
 * Issue 19 point 5, checked against Istio: after a DestinationRule changes a cluster, what does the server push to an
 * Envoy that subscribed to CDS (wildcard) and EDS? Istio's own pilot (istio-oracle --push-sequence) and meshpilot
 * are given the same mesh and the same change, each probe subscribes and acknowledges the same way and does not
 * re-request anything, and the sequences of pushed responses (type, resource names) must match: CDS, then the
 * changed cluster's EDS (the warming Envoy needs), and nothing else.
 */
const SERVICES: FixtureService[] = [
  { name: 'a', port: 5000, clusterIP: '10.96.0.1', endpoints: [{ ip: '10.1.0.1' }] },
  { name: 'b', port: 5000, clusterIP: '10.96.0.2', endpoints: [{ ip: '10.2.0.1' }] },
];
const RULE = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'a', namespace: 'default' },
  spec: {
    host: 'a.default.svc.cluster.local',
    trafficPolicy: { connectionPool: { http: { maxRequestsPerConnection: 1 } } },
  },
};
const PROBE = { id: 'sidecar~10.1.0.9~app-0.default~default.svc.cluster.local', metadata: { CLUSTER_ID: 'c1' } };

interface Step {
  readonly type: string;
  readonly names: readonly string[];
}

/** meshpilot's side of the same probe: subscribe CDS then EDS, ACK, drain; `change()`; record pushes until quiet. */
async function meshpilotSequence(address: string, change: () => Promise<void>): Promise<Step[]> {
  const client = new AdsTestClient(address);
  let edsNames: string[] = [];
  const ack = (response: DecodedResponse): void =>
    client.send({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: response.type_url === ENDPOINT_TYPE ? edsNames : [],
    });
  const collect = async (): Promise<Step[]> => {
    const steps: Step[] = [];
    for (let i = 0; i < 20; i += 1) {
      let response: DecodedResponse;
      try {
        response = await client.responses.next(1_500);
      } catch {
        return steps;
      }
      ack(response);
      steps.push({ type: response.type_url, names: [...response.names].sort() });
    }
    throw new Error('more than 20 responses without a pause');
  };
  try {
    client.send({ node: node(PROBE.id, PROBE.metadata), type_url: CLUSTER_TYPE, resource_names: [] });
    const cds = await client.responses.next(10_000);
    ack(cds);
    edsNames = cds.resources.filter((c) => c.type === 'EDS').map((c) => String(c.name));
    client.send({ type_url: ENDPOINT_TYPE, resource_names: edsNames });
    ack(await client.responses.next(10_000));
    await collect();
    await change();
    return await collect();
  } finally {
    client.close();
  }
}

describe("pushes after a DestinationRule change, meshpilot against Istio's pilot", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let istio: Step[];
  let meshpilot: Step[];

  beforeAll(async () => {
    dir = await tempDir('push-sequence');
    await writeCluster(join(dir.path, 'c1'), SERVICES);
    await mkdir(join(dir.path, 'istio'));
    await mkdir(join(dir.path, 'update'));
    await writeFile(join(dir.path, 'update', 'rule.yaml'), toYaml([RULE]));
    const config = { clusters: [{ name: 'c1', manifests: './c1' }], config: [{ manifests: './istio' }] };
    await writeFile(join(dir.path, 'meshpilot.yaml'), stringify(config));
    await writeFile(join(dir.path, 'probes.json'), JSON.stringify([{ name: 'app', node: PROBE }]));
    const { stdout } = await run(
      oracleBinary(),
      ['--config', 'meshpilot.yaml', '--probes', 'probes.json', '--push-sequence', 'update'],
      { cwd: dir.path, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    istio = (JSON.parse(stdout) as { pushSequence: Step[] }).pushSequence;

    const server = await startTestMeshpilot(dir.path, {
      clusters: [{ name: 'c1', manifests: join(dir.path, 'c1') }],
      config: [{ manifests: join(dir.path, 'istio') }],
    });
    try {
      meshpilot = await meshpilotSequence(server.xdsAddress, () =>
        writeFile(join(dir.path, 'istio', 'rule.yaml'), toYaml([RULE])),
      );
    } finally {
      await server.stop();
    }
  }, 180_000);

  afterAll(async () => {
    await dir?.remove();
  });

  it("Istio pushes CDS, then the changed cluster's EDS, and nothing else", () => {
    expect(istio.map((s) => s.type)).toEqual([CLUSTER_TYPE, ENDPOINT_TYPE]);
    expect(istio[1]!.names).toEqual(['outbound|5000||a.default.svc.cluster.local']);
  });

  it('meshpilot pushes the same sequence, with the same names', () => {
    expect(meshpilot).toEqual(istio);
  });
});
