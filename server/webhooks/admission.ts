/** admission.k8s.io/v1 AdmissionReview, the parts meshpilot's webhooks read and write. */

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly name?: string;
  readonly namespace?: string;
  readonly operation?: string;
  readonly object?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly message: string; readonly reason?: string };
  readonly warnings?: readonly string[];
  readonly patchType?: 'JSONPatch';
  /** base64 of a JSON Patch (RFC 6902). */
  readonly patch?: string;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

/** The request of an admission.k8s.io/v1 AdmissionReview body, or why it is not one. */
export function parseAdmissionReview(body: string): ParsedReview {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, message: 'the body is not JSON' };
  }
  const review = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (review['apiVersion'] !== 'admission.k8s.io/v1' || review['kind'] !== 'AdmissionReview')
    return { ok: false, message: 'expected apiVersion admission.k8s.io/v1, kind AdmissionReview' };
  const request = review['request'];
  if (typeof request !== 'object' || request === null || typeof (request as { uid?: unknown }).uid !== 'string')
    return { ok: false, message: 'the AdmissionReview has no request with a uid' };
  return { ok: true, request: request as AdmissionRequest };
}

/** The AdmissionReview answer carrying `response`. */
export function admissionReview(response: AdmissionResponse): string {
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
}

export function allow(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return { uid, allowed: true, ...(warnings.length > 0 ? { warnings } : {}) };
}

export function deny(uid: string, message: string, code = 400): AdmissionResponse {
  return { uid, allowed: false, status: { code, message, reason: code === 400 ? 'BadRequest' : 'InternalError' } };
}
