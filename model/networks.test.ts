import { describe, expect, it } from 'vitest';
import { cidrContains } from './networks.ts';

describe('cidrContains (meshNetworks fromCidr)', () => {
  it.each([
    ['10.0.0.0/16', '10.0.3.4', true],
    ['10.0.0.0/16', '10.1.3.4', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['fd00::/64', 'fd00::1', true],
    ['fd00::/64', 'fd00:0:0:1::1', false],
    ['fd00:1::/32', 'fd00:1:ffff::1', true],
    ['2001:db8::/48', '2001:db8:0:ffff::', true],
    ['2001:db8::/48', '2001:db9::', false],
    ['::/0', '::1', true],
    ['fd00::1/128', 'fd00::1', true],
    ['fd00::1/128', 'fd00::2', false],
    ['::ffff:10.0.0.0/104', '::ffff:10.1.2.3', true],
    // An address of the other family is never in the range, as Go's net.IPNet.Contains.
    ['fd00::/64', '10.0.0.1', false],
    ['10.0.0.0/8', 'fd00::1', false],
    ['not-a-cidr', '10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, ip, expected) => {
    expect(cidrContains(cidr, ip)).toBe(expected);
  });
});
