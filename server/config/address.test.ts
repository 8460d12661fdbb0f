import { describe, expect, it } from 'vitest';
import { formatListenAddress, isCidr, isDnsLabel, isIpOrHostname, parseListenAddress } from './address.ts';

describe('parseListenAddress', () => {
  it.each([
    ['0.0.0.0:15010', '0.0.0.0', 15010],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['localhost:65535', 'localhost', 65535],
    ['[::1]:15012', '::1', 15012],
    ['[::]:15014', '::', 15014],
    ['meshpilot.example.com:80', 'meshpilot.example.com', 80],
  ])('accepts %s', (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ ok: true, value: { host, port } });
  });

  it.each([
    ['127.0.0.1', 'has no port'],
    ['127.0.0.1:65536', 'bad port "65536"'],
    ['127.0.0.1:-1', 'bad port "-1"'],
    ['127.0.0.1:http', 'bad port "http"'],
    ['::1:15010', 'IPv6 addresses need brackets: "[::1]:15010"'],
    ['fe80::1', 'without brackets and port'],
    ['[127.0.0.1]:80', 'not an IPv6 address'],
    ['bad host:80', 'not an IP address or hostname'],
    ['10.0.0.300:80', 'not an IP address or hostname'],
    [':80', 'not an IP address or hostname'],
  ])('rejects %s with a message saying why', (text, why) => {
    const result = parseListenAddress(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(why);
      expect(result.message).toContain('expected "host:port"');
    }
  });

  it('round-trips through formatListenAddress, bracketing IPv6', () => {
    for (const text of ['[::1]:15010', '10.0.0.1:15443', 'localhost:1']) {
      const parsed = parseListenAddress(text);
      expect(parsed.ok && formatListenAddress(parsed.value)).toBe(text);
    }
  });
});

describe('name and CIDR checks', () => {
  it('DNS-1123 labels', () => {
    expect(isDnsLabel('cluster-a')).toBe(true);
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    for (const bad of ['Cluster-a', '-a', 'a-', 'a_b', 'a.b', '', 'a'.repeat(64)]) expect(isDnsLabel(bad)).toBe(false);
  });

  it('IP or hostname', () => {
    for (const good of ['10.64.31.204', 'fd00::1', 'gw.example.com', 'GW.Example.com'])
      expect(isIpOrHostname(good)).toBe(true);
    for (const bad of ['10.64.31.300', 'gw_example', '', 'a..b']) expect(isIpOrHostname(bad)).toBe(false);
  });

  it('CIDRs', () => {
    for (const good of ['10.0.0.0/8', '0.0.0.0/0', 'fd00::/64', '::/128']) expect(isCidr(good)).toBe(true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'x/8', '10.0.0.0/a']) expect(isCidr(bad)).toBe(false);
  });
});
