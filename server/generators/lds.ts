import { LISTENER_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { buildSharedListeners, buildWorkloadListeners } from '../../translators/lds.ts';
import { touchesEverything, type TouchedServices, type TypeGenerator } from './generator.ts';

/** LDS needs a push when services or Istio config changed; endpoints alone never change a listener. */
export function ldsTouchedBy(change: SnapshotDelta): TouchedServices {
  return touchesEverything(change) ? 'all' : 'none';
}

export const listenerGenerator: TypeGenerator = {
  typeUrl: LISTENER_TYPE,
  shared: buildSharedListeners,
  perWorkload: buildWorkloadListeners,
  touchedBy: ldsTouchedBy,
};
