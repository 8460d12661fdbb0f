import { describe, expect, it } from 'vitest';
import { parseAdmissionReview } from './admission.ts';
import { validateAdmission } from './validate-webhook.ts';

const review = (object: unknown, operation = 'CREATE') =>
  validateAdmission({ uid: 'u1', operation, namespace: 'sample', name: 'x', object });

describe('validation webhook (pure)', () => {
  it('refuses an invalid Istio object with the path-naming lines, in the namespace the request names', () => {
    const answer = review({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews' },
      spec: { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } },
    });
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(
      /^DestinationRule sample\/reviews: spec\.trafficPolicy\.loadBalancer\.simple: .*\[MESHPILOT_ERR_ISTIO_CONFIG_INVALID\]$/,
    );
  });

  it('allows deletes, kinds meshpilot does not read, and returns untranslated parts as warnings', () => {
    expect(review({}, 'DELETE').allowed).toBe(true);
    expect(
      review({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'g' } }).allowed,
    ).toBe(true);
    const gateway = review({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' } });
    expect(gateway.allowed).toBe(false);
    expect(gateway.status?.message).toMatch(/^Gateway sample\/g: spec\.servers: required: expected a list/);
    const telemetry = review({
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 't' },
      spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
    });
    expect(telemetry.allowed).toBe(true);
    expect(telemetry.warnings).toEqual([expect.stringMatching(/^spec\.accessLogging: not supported/)]);
  });

  it('says why a body is not an AdmissionReview v1', () => {
    expect(parseAdmissionReview('nope')).toEqual({ ok: false, message: 'the body is not JSON' });
    expect(parseAdmissionReview('{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}').ok).toBe(false);
    expect(parseAdmissionReview('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}')).toEqual({
      ok: false,
      message: 'the AdmissionReview has no request with a uid',
    });
  });
});
