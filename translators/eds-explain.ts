import { localityKey } from '../model/locality.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { Locality, MeshSnapshot, NetworkGateway } from '../model/types.ts';
import { serviceClusters, type ViewEndpoint } from './eds.ts';

/** Why one workload endpoint appears (or not) in a proxy's EDS, with what address and priority. */
export interface EndpointExplanation {
  readonly cluster: string;
  readonly workload: string;
  readonly kubeCluster: string;
  readonly network: string;
  readonly locality: string;
  readonly outcome: 'local' | 'via-gateway' | 'dropped';
  /** Addresses the proxy is given for it: itself, or the gateways standing for it. */
  readonly sentAs: readonly string[];
  readonly priority?: number;
  readonly weight?: number;
  readonly reason: string;
}

/** ` (10.0.0.1 resolved from gw.example.com, ...)` for the gateways sent that were found by DNS. */
function resolvedFrom(gateways: readonly NetworkGateway[], sent: readonly ViewEndpoint[]): string {
  const named = gateways.filter(
    (g) => g.hostname !== undefined && sent.some((e) => e.address === g.address && e.port === g.port),
  );
  const parts = [...new Set(named.map((g) => `${g.address} resolved from ${g.hostname ?? ''}`))];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function where(locality: Locality): string {
  return [locality.region, locality.zone, locality.subZone].filter((p) => p !== '').join('/') || '(none)';
}

/**
 * For every endpoint of a service, as a proxy's view sees it: kept as is, rewritten to the
 * gateways of its network, or dropped, and the locality match that set its priority. Pure, and
 * derived from the same decisions as the EDS translator (subset clusters and DestinationRule
 * locality settings included), so it explains exactly what is sent.
 */
export function explainServiceEndpoints(
  snapshot: MeshSnapshot,
  view: ProxyView,
  hostname: string,
): EndpointExplanation[] {
  const service = snapshot.services.get(hostname);
  if (!service) return [];
  const out: EndpointExplanation[] = [];
  for (const { cluster, endpoints, decisions, sent } of serviceClusters(snapshot, view, service)) {
    for (const [i, endpoint] of endpoints.entries()) {
      const decision = decisions[i]!;
      const base = {
        cluster,
        workload: `${endpoint.address}:${endpoint.port}`,
        kubeCluster: endpoint.kubeCluster,
        network: endpoint.network || '(none)',
        locality: where(endpoint.locality),
      };
      if (decision.kind === 'dropped') {
        out.push({ ...base, outcome: 'dropped', sentAs: [], reason: decision.reason });
        continue;
      }
      const matches: ViewEndpoint[] =
        decision.kind === 'local'
          ? sent.filter((e) => e.address === endpoint.address && e.port === endpoint.port && e.standsFor === undefined)
          : sent.filter(
              (e) =>
                e.standsFor !== undefined &&
                decision.gateways.some((g) => g.address === e.address && g.port === e.port) &&
                localityKey(e.locality) === localityKey(endpoint.locality),
            );
      const priority = matches[0]?.priority ?? 0;
      if (matches.length === 0) {
        out.push({
          ...base,
          outcome: 'dropped',
          sentAs: [],
          reason: 'localityLbSetting distribute gives its locality no weight',
        });
        continue;
      }
      const health =
        decision.kind === 'local' && decision.unhealthy
          ? 'not ready: sent UNHEALTHY, as Istio (counted for the priority health, never balanced to outside panic mode); '
          : '';
      const how =
        decision.kind === 'local'
          ? `${health}sent as is: network ${endpoint.network || '(none)'}, proxy network ${view.network || '(none)'} (same network, no network, or a network without gateways, which Istio treats as directly reachable)`
          : `rewritten to ${matches.length} gateway(s) of network ${endpoint.network}${resolvedFrom(decision.gateways, matches)}, standing for ${matches[0]?.standsFor ?? 0} endpoint(s) of ${where(endpoint.locality)}`;
      out.push({
        ...base,
        outcome: decision.kind,
        sentAs: matches.map((e) => `${e.address}:${e.port}`),
        priority,
        weight: matches.reduce((sum, e) => sum + e.weight, 0),
        reason: `${how}; ${matches[0]!.priorityReason}`,
      });
    }
  }
  return out;
}
