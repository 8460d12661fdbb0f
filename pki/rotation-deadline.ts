/**
 * When to renew a certificate: Istio renews at about half its lifetime (SECRET_GRACE_PERIOD_RATIO 0.5,
 * jittered by 0.01 so a fleet issued together does not renew together). Used by the server's
 * certificate cache and by the workload agent.
 */
export const DEFAULT_ROTATION_FRACTION = 0.5;
export const DEFAULT_ROTATION_JITTER = 0.01;

/** The time (ms) at which a certificate valid from notBefore to notAfter should be renewed. */
export function rotationDeadline(
  notBefore: Date | number,
  notAfter: Date | number,
  fraction = DEFAULT_ROTATION_FRACTION,
): number {
  const start = typeof notBefore === 'number' ? notBefore : notBefore.getTime();
  const end = typeof notAfter === 'number' ? notAfter : notAfter.getTime();
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`rotation fraction must be in (0, 1], got ${fraction}`);
  if (!(end > start)) throw new RangeError(`certificate notAfter (${end}) must be after notBefore (${start})`);
  return start + Math.floor((end - start) * fraction);
}

/** base ± jitter, from a random source in [0, 1): the jittered fraction Istio uses. */
export function jitteredRotationFraction(
  random: () => number,
  base = DEFAULT_ROTATION_FRACTION,
  jitter = DEFAULT_ROTATION_JITTER,
): number {
  return base + (random() * 2 - 1) * jitter;
}
