import { isIPv4, isIPv6 } from 'node:net';
import type { WellKnownString } from './rule-types.ts';

// The regexes protoc-gen-validate generates for `well_known_regex` (validate.proto: strict defaults to true).
// PGV writes the header name class as `*+-.`, a range that also admits ','; kept as Envoy checks it.
const HTTP_HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+,\-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what these exclude
const HTTP_HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what these exclude
const HEADER_STRING = /^[^\u0000\u000A\u000D]*$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOSTNAME_LABEL = /^[a-z0-9-]+$/;

/** PGV's hostname check: ≤ 253 chars, one optional trailing dot, labels of 1–63 [a-z0-9-] not starting or ending with '-'. */
export function isHostname(value: string): boolean {
  if (value.length > 253) return false;
  const labels = (value.endsWith('.') ? value.slice(0, -1) : value).toLowerCase().split('.');
  return labels.every(
    (label) =>
      label.length > 0 &&
      label.length <= 63 &&
      !label.startsWith('-') &&
      !label.endsWith('-') &&
      HOSTNAME_LABEL.test(label),
  );
}

// Go's net.ParseIP, which PGV uses, takes no IPv6 zone (`fe80::1%eth0`); node's isIPv6 does.
function isIpv6(value: string): boolean {
  return !value.includes('%') && isIPv6(value);
}

function isIp(value: string): boolean {
  return isIPv4(value) || isIpv6(value);
}

const CHECKS: Readonly<
  Record<WellKnownString, { readonly test: (value: string) => boolean; readonly message: string }>
> = {
  hostname: { test: isHostname, message: 'value must be a valid hostname' },
  ip: { test: isIp, message: 'value must be a valid IP address' },
  ipv4: { test: isIPv4, message: 'value must be a valid IPv4 address' },
  ipv6: { test: isIpv6, message: 'value must be a valid IPv6 address' },
  address: {
    test: (value) => isIp(value) || isHostname(value),
    message: 'value must be a valid hostname, or ip address',
  },
  uuid: { test: (value) => UUID.test(value), message: 'value must be a valid UUID' },
  http_header_name: {
    test: (value) => HTTP_HEADER_NAME.test(value),
    message: `value must be a valid HTTP header name (regex ${HTTP_HEADER_NAME.source})`,
  },
  http_header_value: {
    test: (value) => HTTP_HEADER_VALUE.test(value),
    message: `value must be a valid HTTP header value (no control characters except tab)`,
  },
  header_string: {
    test: (value) => HEADER_STRING.test(value),
    message: 'value must be a valid HTTP header string (no NUL, CR or LF)',
  },
};

/** The failure message for a value that fails the check, else undefined. */
export function checkWellKnown(check: WellKnownString, value: string): string | undefined {
  const { test, message } = CHECKS[check];
  return test(value) ? undefined : message;
}
