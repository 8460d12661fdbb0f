import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import { clusterGenerator } from './cds.ts';
import { endpointGenerator } from './eds.ts';
import type { TypeGenerator } from './generator.ts';
import { listenerGenerator } from './lds.ts';
import { nameTableGenerator } from './nds.ts';
import { routeGenerator } from './rds.ts';

/** The generator of each type generated from the mesh snapshot (SDS comes from server/security). */
export const MESH_GENERATORS: ReadonlyMap<XdsTypeUrl, TypeGenerator> = new Map(
  [clusterGenerator, endpointGenerator, listenerGenerator, routeGenerator, nameTableGenerator].map((g) => [
    g.typeUrl,
    g,
  ]),
);

export type { TypeGenerator };
