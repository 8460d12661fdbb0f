import { CLUSTER_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { buildSharedClusters, buildWorkloadClusters } from '../../translators/cds.ts';
import { touchesEverything, type TouchedServices, type TypeGenerator } from './generator.ts';

/** CDS needs a push when services or Istio config changed, or gateways moved (the ejection remedy reads them). */
export function cdsTouchedBy(change: SnapshotDelta): TouchedServices {
  return touchesEverything(change) || change.gateways ? 'all' : 'none';
}

export const clusterGenerator: TypeGenerator = {
  typeUrl: CLUSTER_TYPE,
  shared: buildSharedClusters,
  perWorkload: buildWorkloadClusters,
  touchedBy: cdsTouchedBy,
};
