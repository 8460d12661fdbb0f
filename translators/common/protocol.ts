import type { ServicePort } from '../../model/types.ts';

/** Istio's protocol selection, reduced to what listeners need: HTTP (any HTTP version, gRPC) or opaque TCP. */
export type PortProtocol = 'http' | 'http2' | 'tcp';

const NAME_PROTOCOLS: Readonly<Record<string, PortProtocol>> = {
  http: 'http',
  http2: 'http2',
  grpc: 'http2',
  'grpc-web': 'http',
};
const APP_PROTOCOLS: Readonly<Record<string, PortProtocol>> = { ...NAME_PROTOCOLS, 'kubernetes.io/h2c': 'http2' };

/**
 * appProtocol wins over the port name; a name selects a protocol by its prefix before `-`
 * (`grpc`, `grpc-api`, `http-web`). Anything else is TCP: unlike Istio, meshpilot does not sniff.
 */
export function portProtocol(port: ServicePort): PortProtocol {
  if (port.appProtocol) return APP_PROTOCOLS[port.appProtocol.toLowerCase()] ?? 'tcp';
  const name = port.name.toLowerCase();
  for (const [prefix, protocol] of Object.entries(NAME_PROTOCOLS)) {
    if (name === prefix || name.startsWith(`${prefix}-`)) return protocol;
  }
  return 'tcp';
}

export function isHttpPort(port: ServicePort): boolean {
  return portProtocol(port) !== 'tcp';
}

/** UDP ports are not proxied (Istio captures TCP only). */
export function isProxiedPort(port: ServicePort): boolean {
  return port.protocol.toUpperCase() !== 'UDP';
}
