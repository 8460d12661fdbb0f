import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { httpConnectionManagerFilter, ROUTER_FILTER, socketAddress } from '../common/filters.ts';
import { grpcDownstreamTls } from './tls.ts';
import { GRPC_SERVER_LISTENER_PREFIX } from '../common/names.ts';
import { type FilterChain, type XdsResource, listenerResource } from '../resource.ts';
import { workloadRbac } from '../security/authorization-policy.ts';
import { httpRbacFilters } from '../security/rbac-filters.ts';
import { mtlsModeForPort, workloadMtls } from '../security/peer-authentication.ts';
import { workloadScope } from '../security/workload-scope.ts';
import { workloadInstances, workloadPorts } from '../common/workload.ts';

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
 * not see requested names; the server sends only those asked for). One filter chain whose inline
 * route accepts every RPC (non_forwarding_action).
 *
 * PeerAuthentication: a gRPC server cannot sniff TLS (grpc-js ignores filter chains matching a
 * transport protocol or ALPN), so a port is either TLS or plaintext: STRICT = mTLS with the
 * bootstrap's certificate provider (client certificate required; the server needs
 * XdsServerCredentials), PERMISSIVE and DISABLE = plaintext, as Istio's grpcgen.
 * AuthorizationPolicy: gRPC's RBAC HTTP filters before the router (httpRbacFilters). Pure.
 */
export function buildGrpcServerListeners(snapshot: MeshSnapshot, view: ProxyView): XdsResource[] {
  const ip = view.workloadIp;
  if (!ip) return [];
  const scope = workloadScope(snapshot, view);
  const mtls = workloadMtls(snapshot.istioConfig.peerAuthentications, scope);
  const authz = httpRbacFilters(workloadRbac(snapshot.istioConfig.authorizationPolicies, scope, 'http'), true);
  const out: XdsResource[] = [];
  for (const port of workloadPorts(workloadInstances(snapshot, view))) {
    const strict = mtlsModeForPort(mtls, port) === 'STRICT';
    const chain: FilterChain = {
      name: strict ? 'inbound-mtls' : 'inbound-plaintext',
      filters: [
        httpConnectionManagerFilter({
          stat_prefix: `inbound_${port}`,
          route_config: {
            name: 'inbound',
            virtual_hosts: [
              {
                name: `inbound|http|${port}`,
                domains: ['*'],
                routes: [{ match: { prefix: '/' }, non_forwarding_action: {} }],
              },
            ],
          },
          http_filters: [...authz, ROUTER_FILTER],
        }),
      ],
      ...(strict ? { transport_socket: grpcDownstreamTls() } : {}),
    };
    for (const host of bindHosts(ip)) {
      const name = `${GRPC_SERVER_LISTENER_PREFIX}${hostPort(host, port)}`;
      out.push(listenerResource(name, { name, address: socketAddress(host, port), filter_chains: [chain] }));
    }
  }
  return out;
}
