import { describe, expect, it } from 'vitest';
import { parseSpiffeId, spiffeId } from './spiffe.ts';

describe('spiffeId', () => {
  it('formats Istio-style workload ids', () => {
    expect(spiffeId('cluster.local', 'default', 'helloworld')).toBe('spiffe://cluster.local/ns/default/sa/helloworld');
  });

  it('rejects invalid parts, naming them', () => {
    expect(() => spiffeId('Cluster.Local', 'default', 'sa')).toThrow(
      /MESHPILOT_ERR_SPIFFE_ID_INVALID.*trust domain "Cluster.Local"/,
    );
    expect(() => spiffeId('cluster.local', 'bad/ns', 'sa')).toThrow(/namespace "bad\/ns"/);
    expect(() => spiffeId('cluster.local', 'default', '')).toThrow(/service account is empty/);
    expect(() => spiffeId('cluster.local', 'a'.repeat(64), 'sa')).toThrow(/at most 63/);
  });
});

describe('parseSpiffeId', () => {
  it('round-trips what spiffeId builds', () => {
    expect(parseSpiffeId(spiffeId('td.example', 'istio-system', 'istio-eastwestgateway-service-account'))).toEqual({
      ok: true,
      trustDomain: 'td.example',
      namespace: 'istio-system',
      serviceAccount: 'istio-eastwestgateway-service-account',
    });
  });

  it.each([
    ['https://cluster.local/ns/a/sa/b', /must start with "spiffe:\/\/"/],
    ['spiffe://cluster.local', /has no path/],
    ['spiffe:///ns/a/sa/b', /trust domain is empty/],
    ['spiffe://cluster.local/ns/a', /path must be \/ns\/<namespace>\/sa\/<service account>/],
    ['spiffe://cluster.local/ns/a/sa/b/extra', /path must be/],
    ['spiffe://cluster.local/sa/b/ns/a', /path must be/],
    ['spiffe://cluster.local/ns/A/sa/b', /namespace "A"/],
    ['spiffe://cluster.local/ns/a/sa/', /service account is empty/],
    ['spiffe://cluster.local/ns/a/sa/b?x=1', /no query or fragment/],
    ['spiffe://user@cluster.local/ns/a/sa/b', /trust domain "user@cluster.local"/],
  ])('rejects %s', (uri, reason) => {
    const parsed = parseSpiffeId(uri);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(reason);
      expect(parsed.error).toContain(JSON.stringify(uri));
    }
  });
});
