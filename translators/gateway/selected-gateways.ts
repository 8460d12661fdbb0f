import type { GatewayServer, IstioConfig, Labels } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { workloadInstances } from '../common/workload.ts';

/** A Gateway server as one gateway proxy opens it: on its own port, after Istio's port translation. */
export interface ProxyServer {
  readonly gateway: IstioConfig<'Gateway'>;
  readonly server: GatewayServer;
  /** The port the proxy listens on (the gateway Service's targetPort for the server's port, else the port itself). */
  readonly listenerPort: number;
}

function selects(selector: Labels | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

/**
 * The Gateways that apply to a router, as Istio's mergeGateways with PILOT_SCOPE_GATEWAY_TO_NAMESPACE off
 * (its default): Gateways of every namespace whose selector is a subset of the proxy's pod labels; one
 * without a selector applies to every router. Sidecars have none. Pure.
 */
export function gatewaysForProxy(snapshot: MeshSnapshot, view: ProxyView): IstioConfig<'Gateway'>[] {
  if (view.proxyType !== 'router' || view.generator !== 'envoy') return [];
  const labels = view.labels ?? {};
  return snapshot.istioConfig.gateways.filter((gateway) => selects(gateway.spec.selector, labels));
}

/**
 * Every server of the proxy's Gateways with the port it listens on. Istio's resolvePorts for selector-bound
 * Gateways: the targetPort of the first of the proxy's own service ports whose port is the server's port
 * (a gateway Service mapping 443 to 8443 opens 8443), else the server's port as written. Pure.
 */
export function proxyServers(snapshot: MeshSnapshot, view: ProxyView): ProxyServer[] {
  const gateways = gatewaysForProxy(snapshot, view);
  if (gateways.length === 0) return [];
  const instances = workloadInstances(snapshot, view);
  return gateways.flatMap((gateway) =>
    gateway.spec.servers.map((server) => ({
      gateway,
      server,
      listenerPort:
        instances.find((i) => i.servicePort.port === server.port.number)?.endpointPort ?? server.port.number,
    })),
  );
}

export function isAutoPassthrough(server: GatewayServer): boolean {
  return server.tls?.mode === 'AUTO_PASSTHROUGH';
}

/**
 * Whether the router passes mTLS through by SNI (`outbound_.<port>_.<subset>_.<fqdn>` clusters and EDS): as
 * Istio, when one of its Gateways has an AUTO_PASSTHROUGH server; a router no Gateway selects keeps
 * meshpilot's ROUTER_MODE sni-dnat behaviour (the listener and clusters without a Gateway). Pure.
 */
export function passesThroughBySni(snapshot: MeshSnapshot, view: ProxyView): boolean {
  if (view.proxyType !== 'router' || view.generator !== 'envoy') return false;
  const gateways = gatewaysForProxy(snapshot, view);
  if (gateways.length === 0) return view.routerMode === 'sni-dnat';
  return gateways.some((gateway) => gateway.spec.servers.some(isAutoPassthrough));
}

/** The DNS names of a server's hosts (Istio's getSNIHostsForServer: `namespace/` dropped). */
export function serverDnsNames(server: GatewayServer): string[] {
  return [...new Set(server.hosts.map((host) => (host.includes('/') ? host.slice(host.indexOf('/') + 1) : host)))];
}

/** Istio's host.Name.SubsetOf for a service hostname against a server host: `*`, `*.suffix` or exact. */
export function hostMatches(hostname: string, serverHost: string): boolean {
  if (serverHost === '*') return true;
  if (serverHost.startsWith('*')) return hostname.endsWith(serverHost.slice(1));
  return hostname === serverHost;
}
