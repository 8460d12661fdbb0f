import { shortTypeName } from '../../protos/type-urls.ts';
import type { MeshXdsConnection } from '../cache/mesh-xds-service.ts';

/** Per proxy and type: sent version and nonce, acked version, last NACK (like istiod's /debug/syncz). */
export function syncStatus(connections: readonly MeshXdsConnection[]): Record<string, unknown>[] {
  return connections
    .filter((c) => c.proxy !== undefined)
    .map((connection) => {
      const proxy = connection.proxy!;
      const types: Record<string, unknown> = {};
      for (const state of connection.typeStates()) {
        types[shortTypeName(state.typeUrl)] = {
          typeUrl: state.typeUrl,
          subscribed: state.wildcard ? ['*', ...state.names] : [...state.names],
          sentVersion: state.version ?? null,
          sentNonce: state.nonce ?? null,
          ackedVersion: state.ackedVersion ?? null,
          resources: state.sent.size,
          status: syncState(state.version, state.ackedVersion, state.lastNack?.nonce === state.nonce),
          lastNack: state.lastNack ?? null,
        };
      }
      return {
        proxy: proxy.id,
        connection: connection.id,
        kind: connection.kind,
        connectedAt: connection.connectedAt,
        kubeCluster: proxy.view.kubeCluster,
        network: proxy.view.network,
        locality: proxy.view.locality,
        generator: proxy.view.generator,
        types,
      };
    });
}

function syncState(sent: string | undefined, acked: string | undefined, nackedLatest: boolean): string {
  if (nackedLatest) return 'NACKED';
  if (sent === undefined) return 'NOT SENT';
  return sent === acked ? 'SYNCED' : 'STALE';
}
