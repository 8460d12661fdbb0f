import type { Logger } from 'pino';
import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { XdsCache } from './xds-cache.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ControlPlaneId } from '../xds/wire.ts';
import type { XdsConnection } from '../xds/connection.ts';
import { XdsService } from '../xds/xds-server.ts';
import type { StreamLimits } from '../xds/stream-limits.ts';
import type { DebugResponder } from '../xds/debug-types.ts';
import { meshProxyIdentifier, meshResourceSources, type MeshResourceSource } from './mesh-sources.ts';
import type { ConnectedProxy } from '../generators/proxy-identity.ts';

/** The ADS service as meshpilot runs it. */
export type MeshXdsService = XdsService<ConnectedProxy, SnapshotDelta>;
export type MeshXdsConnection = XdsConnection<ConnectedProxy, SnapshotDelta>;

export interface MeshXdsServiceOptions {
  readonly cache: XdsCache;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneId;
  /** Sources of types not generated from the mesh snapshot (SDS), by type URL. */
  readonly extraSources?: ReadonlyMap<XdsTypeUrl, MeshResourceSource>;
  readonly limits?: Partial<StreamLimits>;
  /** Answers Istio's debug types (istio.io/debug/*) asked by istioctl. */
  readonly debug?: DebugResponder;
  /** Unflushed response bytes over all streams before pushes wait (server/xds/write-budget.ts). */
  readonly writeBudgetBytes?: number;
}

/** ADS streams wired to the generated resources of the mesh snapshot (and any extra sources). */
export function createMeshXdsService(options: MeshXdsServiceOptions): MeshXdsService {
  return new XdsService<ConnectedProxy, SnapshotDelta>({
    sources: meshResourceSources(options.cache, options.extraSources),
    identify: meshProxyIdentifier(options.cache),
    metrics: options.metrics,
    logger: options.logger,
    controlPlane: options.controlPlane,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.debug !== undefined ? { debug: options.debug } : {}),
    ...(options.writeBudgetBytes !== undefined ? { writeBudgetBytes: options.writeBudgetBytes } : {}),
  });
}
