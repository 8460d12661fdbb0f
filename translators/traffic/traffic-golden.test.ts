import { beforeAll, describe, it } from 'vitest';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE, type XdsTypeUrl } from '../../protos/type-urls.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { translateAll } from '../index.ts';
import { expectGolden, wireResources } from '../test-support/golden.ts';
import { withIstioConfig } from '../test-support/istio-config.ts';
import { loadSeedSnapshot, SEED_VIEWS } from '../test-support/seed-snapshot.ts';
import { TRAFFIC_SCENARIOS } from '../test-support/traffic-config.ts';

/** Golden files per field group: testdata/traffic/<group>.<view>.<cds|eds|rds>.json, helloworld's resources only. */

const HOST = 'helloworld.default.svc.cluster.local';
const TYPES: Readonly<Record<string, XdsTypeUrl>> = { cds: CLUSTER_TYPE, eds: ENDPOINT_TYPE, rds: ROUTE_TYPE };
const VIEWS: Readonly<Record<string, ProxyView>> = { sidecar: SEED_VIEWS.sidecarGroup20, grpc: SEED_VIEWS.grpcGroup20 };

let seed: MeshSnapshot;
beforeAll(async () => {
  seed = await loadSeedSnapshot();
});

describe('Istio traffic config per field group, on the wire, against golden files', () => {
  for (const [group, objects] of Object.entries(TRAFFIC_SCENARIOS)) {
    for (const [viewName, view] of Object.entries(VIEWS)) {
      for (const [short, typeUrl] of Object.entries(TYPES)) {
        it(`${group} ${viewName} ${short}`, () => {
          const resources = translateAll(typeUrl, withIstioConfig(seed, objects), view).filter(
            (r) => r.name.includes(HOST) || (typeUrl === ROUTE_TYPE && r.name === '5000'),
          );
          expectGolden(`traffic/${group}.${viewName}.${short}.json`, wireResources(resources));
        });
      }
    }
  }
});
