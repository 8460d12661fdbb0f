import type { GatewayServer, IstioConfig } from '../../model/istio/types.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { isAutoPassthrough, proxyServers } from './selected-gateways.ts';
import { isTranslatedServer } from './untranslated-servers.ts';

/** One server of a router's Gateways, after Istio's host sanitising and port translation. */
export interface IngressServer {
  readonly gateway: IstioConfig<'Gateway'>;
  /** `<namespace>/<name>`, as VirtualServices' `gateways` name it. */
  readonly gatewayName: string;
  /** The server with `./host` as `<gateway namespace>/host`, `*\/host` as `host` and `*\/*` as `*`. */
  readonly server: GatewayServer;
  /** Its index in the Gateway's servers (for messages). */
  readonly index: number;
  /** The port the proxy listens on (the gateway Service's targetPort for the server's port). */
  readonly listenerPort: number;
  /** RDS name: `http.<listenerPort>`, `https.<port>.<port name>.<gateway>.<namespace>`, or '' for TCP/TLS. */
  readonly routeName: string;
  /** SNI names of a TLS server: its hosts without the namespace part, sorted, once each. */
  readonly sniHosts: readonly string[];
}

/** A listener of the merged gateway: Istio's ServerPort (port, first server's protocol, bind). */
export interface MergedPort {
  readonly port: number;
  readonly protocol: string;
  readonly bind: string;
  readonly servers: IngressServer[];
  /** The RDS name of a plain-text HTTP port (its servers share one route configuration). */
  routeName: string;
}

export interface RejectedServer {
  readonly gatewayName: string;
  readonly index: number;
  readonly reason: string;
}

export interface MergedIngress {
  /** In Istio's order: the order in which ports were first seen. */
  readonly ports: readonly MergedPort[];
  /** Route configuration name → the HTTP/HTTPS servers whose virtual hosts it holds. */
  readonly serversByRouteName: ReadonlyMap<string, readonly IngressServer[]>;
  /** Servers Istio drops while merging (protocol conflicts, duplicate TLS hosts, ...), with why. */
  readonly rejected: readonly RejectedServer[];
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** Istio's protocol.Instance.IsHTTP for a Gateway port protocol (HTTPS is not). */
export function isHttpProtocol(protocol: string): boolean {
  return HTTP_PROTOCOLS.has(protocol.toUpperCase());
}

function isPassThroughServer(server: GatewayServer): boolean {
  if (server.tls === undefined) return false;
  const mode = server.tls.mode ?? 'PASSTHROUGH';
  return mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
}

/** Istio's gateway.IsTLSServer: TLS settings on a non-HTTP port (an HTTP port's tls is httpsRedirect only). */
export function isTlsServer(server: GatewayServer): boolean {
  return server.tls !== undefined && !isHttpProtocol(server.port.protocol);
}

/** Istio's gateway.IsHTTPSServerWithTLSTermination. */
export function isHttpsTerminated(server: GatewayServer): boolean {
  return server.tls !== undefined && server.port.protocol.toUpperCase() === 'HTTPS' && !isPassThroughServer(server);
}

/** Istio's gateway.IsHTTPServer: HTTP protocols, or HTTPS terminated here. */
export function isHttpServer(server: GatewayServer): boolean {
  return isHttpProtocol(server.port.protocol) || isHttpsTerminated(server);
}

export function isPassthroughServer(server: GatewayServer): boolean {
  return isPassThroughServer(server);
}

/** Istio's canMergeProtocols(current, p): HTTP servers merge with HTTP servers. */
function canMergeProtocols(current: string, other: string): boolean {
  return (isHttpProtocol(current) || current.toUpperCase() === other.toUpperCase()) && isHttpProtocol(other);
}

/** Istio's sanitizeServerHostNamespace. */
function sanitizeHosts(server: GatewayServer, namespace: string): GatewayServer {
  if (!server.hosts.some((h) => h.includes('/'))) return server;
  const hosts: string[] = [];
  for (const host of server.hosts) {
    const [ns, name = ''] = host.split('/');
    if (ns === '.') hosts.push(`${namespace}/${name}`);
    else if (ns === '*') {
      if (name === '*') return { ...server, hosts: ['*'] };
      hosts.push(name);
    } else hosts.push(host);
  }
  return { ...server, hosts };
}

/** Istio's GetSNIHostsForServer. */
function sniHostsOf(server: GatewayServer): string[] {
  if (server.tls === undefined) return [];
  return [...new Set(server.hosts.map((h) => (h.includes('/') ? h.split('/')[1]! : h)))].sort();
}

/** Istio's gatewayRDSRouteName. */
function routeNameOf(server: GatewayServer, listenerPort: number, gateway: IstioConfig<'Gateway'>): string {
  const bind = server.bind ? `.${server.bind}` : '';
  if (isHttpProtocol(server.port.protocol)) return `http.${listenerPort}${bind}`;
  if (server.port.protocol.toUpperCase() === 'HTTPS' && !isPassThroughServer(server))
    return `https.${server.port.number}.${server.port.name}.${gateway.meta.name}.${gateway.meta.namespace}${bind}`;
  return '';
}

/** Istio's configCompareByCreationTime: creation time (absent = oldest), then name, then namespace. */
function istioGatewayOrder(a: IstioConfig<'Gateway'>, b: IstioConfig<'Gateway'>): number {
  const ta = a.meta.creationTimestamp === undefined ? 0 : Date.parse(a.meta.creationTimestamp) || 0;
  const tb = b.meta.creationTimestamp === undefined ? 0 : Date.parse(b.meta.creationTimestamp) || 0;
  if (ta !== tb) return ta - tb;
  if (a.meta.name !== b.meta.name) return a.meta.name < b.meta.name ? -1 : 1;
  return a.meta.namespace < b.meta.namespace ? -1 : a.meta.namespace > b.meta.namespace ? 1 : 0;
}

/**
 * The ingress servers (every server but AUTO_PASSTHROUGH, which gateway-listeners.ts builds) of the Gateways
 * that select a router, merged as Istio's mergeGateways (pilot/pkg/model/gateway.go) merges them: Gateways in
 * creation-time order, then name; per listener port, plain-text HTTP servers share one route configuration
 * `http.<port>`; TLS servers (HTTPS, TLS) are filter chains told apart by SNI, each HTTPS server with its own
 * route configuration; a TLS server repeating a host already on the port (same bind), a server whose protocol
 * cannot merge with the port's plain-text server (TCP beside HTTP), an HTTPS server whose route name is taken
 * and a non-TLS server beside TLS ones are dropped, each listed in `rejected`. Pure.
 */
export function mergeIngressServers(snapshot: MeshSnapshot, view: ProxyView): MergedIngress {
  const byGateway = new Map<IstioConfig<'Gateway'>, { server: GatewayServer; index: number; listenerPort: number }[]>();
  for (const { gateway, server, listenerPort } of proxyServers(snapshot, view)) {
    const list = byGateway.get(gateway) ?? [];
    list.push({ server, index: gateway.spec.servers.indexOf(server), listenerPort });
    byGateway.set(gateway, list);
  }
  const ports: MergedPort[] = [];
  const portOf = (port: number, protocol: string, bind: string): MergedPort | undefined =>
    ports.find((p) => p.port === port && p.bind === bind && p.protocol === protocol);
  const gatewayPorts = new Set<number>();
  const plainText = new Map<number, MergedPort>();
  const serversByRouteName = new Map<string, IngressServer[]>();
  const tlsHostsByPort = new Map<number, Map<string, string>>();
  const nonPlainTextBinds = new Map<number, Set<string>>();
  const rejected: RejectedServer[] = [];

  const addPlainText = (s: IngressServer, bind: string): void => {
    const merged: MergedPort = {
      port: s.listenerPort,
      protocol: s.server.port.protocol,
      bind,
      servers: [s],
      routeName: s.routeName,
    };
    if (!isTlsServer(s.server)) plainText.set(s.listenerPort, merged);
    if (isHttpServer(s.server)) serversByRouteName.set(s.routeName, [s]);
    ports.push(merged);
  };

  for (const gateway of [...byGateway.keys()].sort(istioGatewayOrder)) {
    const gatewayName = `${gateway.meta.namespace}/${gateway.meta.name}`;
    for (const { server: raw, index, listenerPort } of byGateway.get(gateway)!) {
      // AUTO_PASSTHROUGH is gateway-listeners.ts's; what meshpilot cannot build (ISTIO_MUTUAL) validate reports.
      if (isAutoPassthrough(raw) || !isTranslatedServer(raw)) continue;
      const server = sanitizeHosts(raw, gateway.meta.namespace);
      const bind = server.bind ?? '';
      const s: IngressServer = {
        gateway,
        gatewayName,
        server,
        index,
        listenerPort,
        routeName: routeNameOf(server, listenerPort, gateway),
        sniHosts: sniHostsOf(server),
      };
      const reject = (reason: string): void => {
        rejected.push({ gatewayName, index, reason });
      };
      if (server.tls !== undefined) {
        const known = tlsHostsByPort.get(listenerPort) ?? new Map<string, string>();
        tlsHostsByPort.set(listenerPort, known);
        const duplicates = server.hosts.filter((h) => known.get(h) === bind);
        if (duplicates.length > 0) {
          reject(`duplicate host names on port ${listenerPort}: ${duplicates.join(', ')}`);
          continue;
        }
        for (const h of server.hosts) known.set(h, bind);
      }
      if (!gatewayPorts.has(listenerPort)) {
        gatewayPorts.add(listenerPort);
        addPlainText(s, bind);
        continue;
      }
      const current = plainText.get(listenerPort);
      if (current !== undefined) {
        if (!canMergeProtocols(server.port.protocol, current.protocol) && current.bind === bind) {
          reject(
            `protocol ${server.port.protocol} conflicts with the ${current.protocol} server on port ${listenerPort}`,
          );
          continue;
        }
        if (s.routeName === '' && current.bind === bind) {
          reject(`a ${server.port.protocol} server cannot share port ${listenerPort} with ${current.protocol} servers`);
          continue;
        }
        if (current.bind !== bind) {
          const existing = portOf(listenerPort, server.port.protocol, bind);
          if (existing === undefined) addPlainText(s, bind);
          else {
            existing.routeName = s.routeName;
            existing.servers.push(s);
            serversByRouteName.set(s.routeName, [...(serversByRouteName.get(s.routeName) ?? []), s]);
          }
        } else {
          current.servers.push(s);
          serversByRouteName.set(s.routeName, [...(serversByRouteName.get(s.routeName) ?? []), s]);
        }
        continue;
      }
      if (!isTlsServer(server)) {
        const merged: MergedPort = {
          port: listenerPort,
          protocol: server.port.protocol,
          bind,
          servers: [s],
          routeName: s.routeName,
        };
        plainText.set(listenerPort, merged);
        if (isHttpServer(server)) serversByRouteName.set(s.routeName, [s]);
        // Istio replaces the port's servers of this protocol and bind (a map keyed by port, protocol, bind).
        const same = ports.findIndex(
          (p) => p.port === listenerPort && p.protocol === server.port.protocol && p.bind === bind,
        );
        if (same >= 0) ports.splice(same, 1, merged);
        else ports.push(merged);
        continue;
      }
      if (isHttpServer(server)) {
        if (s.routeName === '') {
          reject(`no route name for the ${server.port.protocol} server on port ${listenerPort}`);
          continue;
        }
        if (serversByRouteName.has(s.routeName)) {
          reject(`route name ${s.routeName} is taken (HTTPS port names must be unique)`);
          continue;
        }
        serversByRouteName.set(s.routeName, [s]);
      }
      const binds = nonPlainTextBinds.get(listenerPort);
      let newBind: boolean;
      if (binds !== undefined) {
        newBind = !binds.has(bind);
        binds.add(bind);
      } else {
        nonPlainTextBinds.set(listenerPort, new Set([bind]));
        newBind = true;
      }
      if (server.tls === undefined && !newBind) {
        reject(`a server without TLS settings cannot share port ${listenerPort} with TLS servers`);
        continue;
      }
      const existing = portOf(listenerPort, server.port.protocol, bind);
      if (existing === undefined)
        ports.push({ port: listenerPort, protocol: server.port.protocol, bind, servers: [s], routeName: '' });
      else existing.servers.push(s);
    }
  }
  return { ports, serversByRouteName, rejected };
}
