import { LISTENER_TYPE } from '../protos/type-urls.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { httpConnectionManagerFilter, ROUTER_FILTER, socketAddress } from './filters.ts';
import { GRPC_SERVER_LISTENER_PREFIX } from './names.ts';
import type { XdsResource } from './resource.ts';
import { workloadInstances, workloadPorts } from './workload.ts';

/** The addresses a proxyless gRPC server may bind a port on: its pod IP and the IPv4/IPv6 wildcards. */
function bindHosts(workloadIp: string): string[] {
  return [...new Set([workloadIp, '0.0.0.0', '::'])];
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Server listeners for proxyless gRPC (gRFC A36, Istio grpcgen): an XdsServer bound to `ip:port`
 * asks for `xds.istio.io/grpc/lds/inbound/ip:port` (bootstrap `server_listener_resource_name_template`)
 * and serves only if the Listener's socket_address is exactly that address. Built for each port
 * the proxy's workload serves a service on, for its pod IP and both wildcards (the translator does
 * not see requested names; the server sends only those asked for). Plaintext, as Istio's PERMISSIVE
 * for gRPC; one filter chain whose inline route accepts every RPC (non_forwarding_action). Pure.
 */
export function buildGrpcServerListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const ip = view.workloadIp;
  if (!ip) return [];
  const out: XdsResource[] = [];
  for (const port of workloadPorts(workloadInstances(snapshot, view))) {
    for (const host of bindHosts(ip)) {
      const name = `${GRPC_SERVER_LISTENER_PREFIX}${hostPort(host, port)}`;
      out.push({
        name,
        typeUrl: LISTENER_TYPE,
        object: {
          name,
          address: socketAddress(host, port),
          filter_chains: [
            {
              name: 'inbound-plaintext',
              filters: [
                httpConnectionManagerFilter({
                  stat_prefix: `inbound_${port}`,
                  route_config: {
                    name: 'inbound',
                    virtual_hosts: [
                      { name: `inbound|http|${port}`, domains: ['*'], routes: [{ match: { prefix: '/' }, non_forwarding_action: {} }] },
                    ],
                  },
                  http_filters: [ROUTER_FILTER],
                }),
              ],
            },
          ],
        },
      });
    }
  }
  return out;
}
