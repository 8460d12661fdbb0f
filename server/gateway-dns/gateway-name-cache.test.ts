import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../e2e/support/eventually.ts';
import { startTestDnsServer, type TestDnsServer } from '../../e2e/support/test-dns-server.ts';
import { GatewayNameCache, type GatewayDnsOptions } from './gateway-name-cache.ts';

/**
 * The gateway name cache against a real DNS server on loopback (dns2): Istio's rules from
 * pilot/pkg/model/network.go (A and AAAA, sorted; TTL clamped to [min, max]; old addresses kept when
 * every query fails; a name resolved to nothing is empty, not kept), with a 1 s minimum TTL so expiry
 * is seen within the test.
 */
describe('GatewayNameCache', () => {
  let dns: TestDnsServer;
  let cache: GatewayNameCache | undefined;
  let changes = 0;

  const start = (options: Partial<GatewayDnsOptions> = {}): GatewayNameCache => {
    cache = new GatewayNameCache(
      { servers: [dns.address], minTtlMs: 1_000, maxTtlMs: 3_600_000, timeoutMs: 1_000, ...options },
      pino({ level: 'silent' }),
      () => void (changes += 1),
    );
    return cache;
  };

  beforeEach(async () => {
    dns = await startTestDnsServer();
    changes = 0;
  });
  afterEach(async () => {
    cache?.stop();
    cache = undefined;
    await dns.close();
  });

  it('resolves A and AAAA records, sorted, and reports the state', async () => {
    dns.set('gw.example.test', { a: ['10.0.0.9', '10.0.0.10'], aaaa: ['fd00::9'], ttl: 300 });
    const names = start();
    names.watch(['gw.example.test']);
    expect(names.states()).toEqual([{ hostname: 'gw.example.test', addresses: [], state: 'pending' }]);
    await names.settled();
    expect(names.addresses()).toEqual(new Map([['gw.example.test', ['10.0.0.10', '10.0.0.9', 'fd00::9']]]));
    expect(changes).toBe(1);
    const [state] = names.states();
    expect(state).toMatchObject({ state: 'resolved', ttlSeconds: 300 });
    expect(Date.parse(state?.nextResolveAt ?? '') - Date.parse(state?.resolvedAt ?? '')).toBe(300_000);
  });

  it('re-resolves when the TTL expires (raised to the minimum TTL) and reports new addresses', async () => {
    dns.set('gw.example.test', { a: ['10.0.0.1'], ttl: 0 });
    const names = start();
    names.watch(['gw.example.test']);
    await names.settled();
    expect(names.states()[0]).toMatchObject({ addresses: ['10.0.0.1'], ttlSeconds: 1 });
    const asked = dns.queries('gw.example.test');
    const before = names.addresses();
    dns.set('gw.example.test', { a: ['10.0.0.2'], ttl: 0 });
    await eventually(() => names.addresses().get('gw.example.test')?.[0] === '10.0.0.2', 're-resolution', 10_000);
    expect(names.addresses()).not.toBe(before);
    expect(dns.queries('gw.example.test')).toBeGreaterThan(asked);
    expect(changes).toBe(2);
  });

  it('caps a long TTL at the maximum', async () => {
    dns.set('gw.example.test', { a: ['10.0.0.1'], ttl: 86_400 });
    const names = start({ maxTtlMs: 120_000 });
    names.watch(['gw.example.test']);
    await names.settled();
    expect(names.states()[0]?.ttlSeconds).toBe(120);
  });

  it('keeps the old addresses when the DNS server fails, and takes new ones when it answers again', async () => {
    dns.set('gw.example.test', { a: ['10.0.0.1'], ttl: 0 });
    const names = start();
    names.watch(['gw.example.test']);
    await names.settled();
    dns.set('gw.example.test', { rcode: 'servfail' });
    const asked = dns.queries('gw.example.test');
    await eventually(() => names.states()[0]?.state === 'failed', 'a failed resolution', 10_000);
    expect(dns.queries('gw.example.test')).toBeGreaterThan(asked);
    expect(names.states()[0]).toMatchObject({ addresses: ['10.0.0.1'], lastError: 'A: ESERVFAIL, AAAA: ESERVFAIL' });
    expect(names.addresses().get('gw.example.test')).toEqual(['10.0.0.1']);
    dns.set('gw.example.test', { a: ['10.0.0.3'], ttl: 0 });
    await eventually(() => names.addresses().get('gw.example.test')?.[0] === '10.0.0.3', 'recovery', 10_000);
  });

  it('keeps nothing for a name that does not exist (an answer, not a failure)', async () => {
    dns.set('gw.example.test', { a: ['10.0.0.1'], ttl: 0 });
    const names = start();
    names.watch(['gw.example.test']);
    await names.settled();
    dns.set('gw.example.test', { rcode: 'nxdomain' });
    await eventually(() => !names.addresses().has('gw.example.test'), 'the name to go', 10_000);
    expect(names.states()[0]).toMatchObject({ state: 'resolved', addresses: [], ttlSeconds: 1 });
    expect(names.states()[0]?.lastError).toContain('ENOTFOUND');
  });

  it('forgets a name no gateway uses any more', async () => {
    dns.set('a.example.test', { a: ['10.0.0.1'], ttl: 300 });
    dns.set('b.example.test', { a: ['10.0.0.2'], ttl: 300 });
    const names = start();
    names.watch(['a.example.test', 'b.example.test']);
    await names.settled();
    expect([...names.addresses().keys()]).toEqual(['a.example.test', 'b.example.test']);
    names.watch(['b.example.test']);
    expect([...names.addresses().keys()]).toEqual(['b.example.test']);
    expect(names.states().map((s) => s.hostname)).toEqual(['b.example.test']);
    expect(changes).toBe(3);
  });
});
