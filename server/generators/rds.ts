import { ROUTE_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { buildSharedRoutes, buildWorkloadRoutes } from '../../translators/rds.ts';
import { touchesEverything, type TouchedServices, type TypeGenerator } from './generator.ts';

/** RDS needs a push when services (hosts, ports) or Istio config (VirtualServices) changed. */
export function rdsTouchedBy(change: SnapshotDelta): TouchedServices {
  return touchesEverything(change) ? 'all' : 'none';
}

export const routeGenerator: TypeGenerator = {
  typeUrl: ROUTE_TYPE,
  shared: buildSharedRoutes,
  perWorkload: buildWorkloadRoutes,
  touchedBy: rdsTouchedBy,
};
