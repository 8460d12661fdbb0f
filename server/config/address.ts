import { isIP } from 'node:net';

/** A listen address split for `server.listen()`: IPv6 hosts are kept without brackets. */
export type ListenAddress = { host: string; port: number };

export type AddressCheck<T> = { ok: true; value: T } | { ok: false; message: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label, as Kubernetes names and Istio CLUSTER_IDs use: lowercase, digits, '-', at most 63. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters. Case-insensitive for hostnames. */
export function isDnsSubdomain(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.toLowerCase().split('.');
  // An all-digit last label is a mistyped IPv4 address, never a hostname.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every(isDnsLabel);
}

export function isIpOrHostname(value: string): boolean {
  return isIP(value) !== 0 || isDnsSubdomain(value);
}

/** `10.0.0.0/8` or `fd00::/64`, prefix in range for the family. */
export function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

const ADDRESS_HELP = 'expected "host:port" or "[ipv6]:port" with port 0..65535, e.g. "0.0.0.0:15010" or "[::1]:15010"';

/** Parses `host:port` / `[ipv6]:port`; the host is an IP address or a hostname. */
export function parseListenAddress(value: string): AddressCheck<ListenAddress> {
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(value);
  if (bracketed) {
    const host = bracketed[1] ?? '';
    const port = parsePort(bracketed[2] ?? '');
    if (isIP(host) !== 6)
      return { ok: false, message: `"${host}" inside brackets is not an IPv6 address; ${ADDRESS_HELP}` };
    if (port === undefined) return { ok: false, message: `bad port "${bracketed[2] ?? ''}"; ${ADDRESS_HELP}` };
    return { ok: true, value: { host, port } };
  }
  if (isIP(value) === 6)
    return { ok: false, message: `"${value}" is an IPv6 address without brackets and port; ${ADDRESS_HELP}` };
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { ok: false, message: `"${value}" has no port; ${ADDRESS_HELP}` };
  const host = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  if (host.includes(':'))
    return { ok: false, message: `IPv6 addresses need brackets: "[${host}]:${portText}"; ${ADDRESS_HELP}` };
  if (!isIpOrHostname(host))
    return { ok: false, message: `"${host}" is not an IP address or hostname; ${ADDRESS_HELP}` };
  const port = parsePort(portText);
  if (port === undefined) return { ok: false, message: `bad port "${portText}"; ${ADDRESS_HELP}` };
  return { ok: true, value: { host, port } };
}

/** The inverse of parseListenAddress, as gRPC bind strings want it (`[::1]:15010`). */
export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
