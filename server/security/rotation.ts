/**
 * When to renew workload certificates, and a per-identity cache that renews them on time.
 * Istio renews at about half a certificate's lifetime (SECRET_GRACE_PERIOD_RATIO 0.5, jittered by
 * 0.01 so a fleet issued together does not renew together).
 */
import type { WorkloadCertificate } from './ca.ts';
import type { WorkloadIdentity } from '../../pki/spiffe.ts';
import { jitteredRotationFraction, rotationDeadline } from '../../pki/rotation-deadline.ts';

export interface CertificateCacheOptions {
  issue: (identity: WorkloadIdentity) => Promise<WorkloadCertificate>;
  clock: () => number;
  /** Called once per issued certificate. Default: Istio's jittered 0.5 from Math.random; pass `() => 0.5` in tests. */
  rotationFraction?: () => number;
  /**
   * Measure a certificate's lifetime from the moment it was issued instead of its notBefore. The CA
   * backdates notBefore by a minute for clock skew; with lifetimes of seconds (tests, demos) that
   * minute would put the rotation deadline in the past.
   */
  measureFromIssuance?: boolean;
}

interface CacheEntry {
  identity: WorkloadIdentity;
  certificate: WorkloadCertificate;
  rotateAt: number;
}

/** Workload certificates keyed by namespace/serviceAccount, reissued once their rotation deadline passes. */
export class CertificateCache {
  readonly #options: CertificateCacheOptions;
  readonly #entries = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<WorkloadCertificate>>();

  constructor(options: CertificateCacheOptions) {
    this.#options = options;
  }

  /** The cached certificate while it is before its rotation deadline; otherwise a newly issued one. */
  async get(identity: WorkloadIdentity): Promise<WorkloadCertificate> {
    const key = cacheKey(identity);
    const entry = this.#entries.get(key);
    if (entry !== undefined && this.#options.clock() < entry.rotateAt) return entry.certificate;
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const issuing = this.#issue(key, identity).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, issuing);
    return issuing;
  }

  /** The cached certificate if it is before its rotation deadline, without issuing one. */
  peek(identity: WorkloadIdentity): WorkloadCertificate | undefined {
    const entry = this.#entries.get(cacheKey(identity));
    return entry !== undefined && this.#options.clock() < entry.rotateAt ? entry.certificate : undefined;
  }

  /** The earliest rotation deadline (ms) among cached certificates, to schedule the next push. */
  nextRotationDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.#entries.values()) {
      if (earliest === undefined || entry.rotateAt < earliest) earliest = entry.rotateAt;
    }
    return earliest;
  }

  /** Identities whose certificate is at or past its rotation deadline now. */
  dueIdentities(): WorkloadIdentity[] {
    const now = this.#options.clock();
    return [...this.#entries.values()].filter((entry) => now >= entry.rotateAt).map((entry) => ({ ...entry.identity }));
  }

  /** The rotation deadline of one identity's cached certificate, if any. */
  rotationDeadlineOf(identity: WorkloadIdentity): number | undefined {
    return this.#entries.get(cacheKey(identity))?.rotateAt;
  }

  delete(identity: WorkloadIdentity): boolean {
    return this.#entries.delete(cacheKey(identity));
  }

  get size(): number {
    return this.#entries.size;
  }

  async #issue(key: string, identity: WorkloadIdentity): Promise<WorkloadCertificate> {
    const issuedAt = this.#options.clock();
    const certificate = await this.#options.issue(identity);
    const fraction = this.#options.rotationFraction?.() ?? jitteredRotationFraction(Math.random);
    const start =
      this.#options.measureFromIssuance === true
        ? Math.max(certificate.notBefore.getTime(), issuedAt)
        : certificate.notBefore;
    const rotateAt = rotationDeadline(start, certificate.notAfter, fraction);
    this.#entries.set(key, {
      identity: { namespace: identity.namespace, serviceAccount: identity.serviceAccount },
      certificate,
      rotateAt,
    });
    return certificate;
  }
}

function cacheKey(identity: WorkloadIdentity): string {
  // '/' cannot appear in a Kubernetes namespace or service account name.
  return `${identity.namespace}/${identity.serviceAccount}`;
}
