import { isIP } from 'node:net';

/**
 * What the registry accepts from a kube cluster (issue 13 point 3): invalid values are dropped at
 * the door, each with a problem text the record carries (`dropped`), so EDS and LDS never see them.
 */

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
// Kubernetes label values: at most 63 characters, alphanumeric at both ends, '-', '_', '.' inside.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

export function isValidProtocol(protocol: string): boolean {
  return PROTOCOLS.has(protocol);
}

/** An endpoint address of a slice of `addressType` (IPv4 / IPv6; FQDN slices are not served). */
export function isValidAddress(address: string, addressType: string): boolean {
  const family = isIP(address);
  if (addressType === 'IPv6') return family === 6;
  if (addressType === 'IPv4') return family === 4;
  return family !== 0;
}

export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** The labels whose values are valid; one problem per dropped label. */
export function validLabels(labels: Record<string, string>, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (isValidLabelValue(value)) out[key] = value;
    else problems.push(`label ${key}: invalid value ${JSON.stringify(value.slice(0, 80))}`);
  }
  return out;
}
