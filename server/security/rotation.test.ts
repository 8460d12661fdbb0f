import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa, type CertificateAuthority } from './ca.ts';
import { CertificateCache } from './rotation.ts';
import { jitteredRotationFraction, rotationDeadline } from '../../pki/rotation-deadline.ts';
import { fakeClock, makeTempDir, type FakeClock } from '../../pki/test-support.ts';
import type { WorkloadIdentity } from '../../pki/spiffe.ts';

const NOW = Date.parse('2031-03-04T05:06:07.000Z');
const HOUR = 3_600_000;

describe('rotationDeadline', () => {
  it('is the given fraction of the lifetime after notBefore', () => {
    expect(rotationDeadline(1_000, 11_000)).toBe(6_000);
    expect(rotationDeadline(new Date(0), new Date(24 * HOUR), 0.8)).toBe(19.2 * HOUR);
    expect(rotationDeadline(0, 10, 1)).toBe(10);
  });

  it('rejects nonsense', () => {
    expect(() => rotationDeadline(0, 10, 0)).toThrow(/fraction/);
    expect(() => rotationDeadline(0, 10, 1.5)).toThrow(/fraction/);
    expect(() => rotationDeadline(10, 10)).toThrow(/notAfter/);
  });

  it('jitters by at most ±0.01 around 0.5', () => {
    expect(jitteredRotationFraction(() => 0)).toBeCloseTo(0.49, 10);
    expect(jitteredRotationFraction(() => 0.5)).toBeCloseTo(0.5, 10);
    expect(jitteredRotationFraction(() => 0.999999)).toBeCloseTo(0.51, 5);
  });
});

describe('CertificateCache', () => {
  let ca: CertificateAuthority;
  let time: FakeClock;
  let cleanup: () => Promise<void>;
  const reviews: WorkloadIdentity = { namespace: 'bookinfo', serviceAccount: 'reviews' };
  const ratings: WorkloadIdentity = { namespace: 'bookinfo', serviceAccount: 'ratings' };

  beforeAll(async () => {
    const temp = await makeTempDir();
    cleanup = temp.cleanup;
    time = fakeClock(NOW);
    ca = await loadOrCreateCa({ dir: temp.dir, trustDomain: 'cluster.local', clock: time.clock });
  });

  afterAll(async () => {
    await cleanup();
  });

  function cacheWithTtl(ttlMs: number): { cache: CertificateCache; issued: WorkloadIdentity[] } {
    const issued: WorkloadIdentity[] = [];
    const cache = new CertificateCache({
      clock: time.clock,
      rotationFraction: () => 0.5,
      issue: (identity) => {
        issued.push(identity);
        return ca.issueWorkloadCertificate({ ...identity, ttlMs });
      },
    });
    return { cache, issued };
  }

  it('serves the cached certificate until half its lifetime, then a new one', async () => {
    time.set(NOW);
    const { cache, issued } = cacheWithTtl(2 * HOUR);
    const first = await cache.get(reviews);
    expect(await cache.get({ ...reviews })).toBe(first);
    const deadline = rotationDeadline(first.notBefore, first.notAfter, 0.5);
    expect(cache.rotationDeadlineOf(reviews)).toBe(deadline);
    // Lifetime is the 2 h TTL plus the 1 min backdating, so the deadline is 30 s before the 1 h mark.
    expect(deadline).toBe(NOW + HOUR - 30_000);

    time.set(deadline - 1);
    expect(await cache.get(reviews)).toBe(first);
    expect(cache.dueIdentities()).toEqual([]);
    time.set(deadline);
    expect(cache.dueIdentities()).toEqual([reviews]);
    const second = await cache.get(reviews);
    expect(second).not.toBe(first);
    expect(second.certChainPem).not.toBe(first.certChainPem);
    expect(second.notBefore.getTime()).toBe(deadline - 60_000);
    expect(issued).toHaveLength(2);
    expect(cache.nextRotationDeadline()).toBe(rotationDeadline(second.notBefore, second.notAfter, 0.5));
  });

  it('reports the earliest deadline across identities and issues once for concurrent requests', async () => {
    time.set(NOW);
    const { cache, issued } = cacheWithTtl(4 * HOUR);
    expect(cache.nextRotationDeadline()).toBeUndefined();
    const [a, b] = await Promise.all([cache.get(reviews), cache.get(reviews)]);
    expect(a).toBe(b);
    expect(issued).toHaveLength(1);
    time.advance(HOUR);
    const later = await cache.get(ratings);
    expect(cache.size).toBe(2);
    expect(cache.nextRotationDeadline()).toBe(rotationDeadline(a.notBefore, a.notAfter, 0.5));
    cache.delete(reviews);
    expect(cache.nextRotationDeadline()).toBe(rotationDeadline(later.notBefore, later.notAfter, 0.5));
  });

  it('peeks without issuing, and only before the rotation deadline', async () => {
    time.set(NOW);
    const { cache, issued } = cacheWithTtl(2 * HOUR);
    expect(cache.peek(reviews)).toBeUndefined();
    expect(issued).toHaveLength(0);
    const first = await cache.get(reviews);
    expect(cache.peek({ ...reviews })).toBe(first);
    time.set(cache.rotationDeadlineOf(reviews) ?? 0);
    expect(cache.peek(reviews)).toBeUndefined();
    expect(issued).toHaveLength(1);
  });

  it('measures short lifetimes from issuance when asked, so the backdated notBefore does not make them due at once', async () => {
    time.set(NOW);
    const options = {
      clock: time.clock,
      rotationFraction: () => 0.5,
      issue: (identity: WorkloadIdentity) => ca.issueWorkloadCertificate({ ...identity, ttlMs: 4_000 }),
    };
    const backdated = new CertificateCache(options);
    await backdated.get(reviews);
    expect(backdated.dueIdentities()).toEqual([reviews]);
    const fromIssuance = new CertificateCache({ ...options, measureFromIssuance: true });
    await fromIssuance.get(reviews);
    expect(fromIssuance.dueIdentities()).toEqual([]);
    expect(fromIssuance.rotationDeadlineOf(reviews)).toBe(NOW + 2_000);
  });

  it('does not cache a failed issuance', async () => {
    time.set(NOW);
    let failures = 1;
    const cache = new CertificateCache({
      clock: time.clock,
      rotationFraction: () => 0.5,
      issue: async (identity) => {
        if (failures-- > 0) throw new Error('CA unavailable');
        return ca.issueWorkloadCertificate(identity);
      },
    });
    await expect(cache.get(reviews)).rejects.toThrow('CA unavailable');
    expect(cache.size).toBe(0);
    expect((await cache.get(reviews)).spiffeId).toBe('spiffe://cluster.local/ns/bookinfo/sa/reviews');
  });
});
