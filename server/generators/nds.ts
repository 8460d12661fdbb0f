import { NAME_TABLE_TYPE } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import { buildNameTable } from '../../translators/nds.ts';
import { touchesEverything, type TouchedServices, type TypeGenerator } from './generator.ts';

/** NDS (Istio's DNS name table) needs a push when services (names, VIPs) or config (ServiceEntries) changed. */
export function ndsTouchedBy(change: SnapshotDelta): TouchedServices {
  return touchesEverything(change) ? 'all' : 'none';
}

export const nameTableGenerator: TypeGenerator = {
  typeUrl: NAME_TABLE_TYPE,
  shared: buildNameTable,
  touchedBy: ndsTouchedBy,
};
