import { ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { serviceEndpoints } from '../../translators/eds.ts';
import { touchesEverything, type TouchedServices, type TypeGenerator } from './generator.ts';

/**
 * EDS: every ClusterLoadAssignment when services, Istio config or gateways changed (a gateway
 * rewrites every cross-network endpoint); otherwise only those of the services whose endpoints
 * changed, so an endpoint push costs O(the change), not O(the mesh).
 */
export function edsTouchedBy(change: SnapshotDelta): TouchedServices {
  if (touchesEverything(change) || change.gateways) return 'all';
  return change.endpoints.size > 0 ? change.endpoints : 'none';
}

export const endpointGenerator: TypeGenerator = {
  typeUrl: ENDPOINT_TYPE,
  perService: serviceEndpoints,
  touchedBy: edsTouchedBy,
};
