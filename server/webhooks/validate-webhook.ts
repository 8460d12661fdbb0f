import { translationWarnings } from '../istio-config/config-store.ts';
import { istioKindOf, validateIstioObject } from '../istio-config/validate.ts';
import { invalidObjectLines } from '../istio-config/validation-messages.ts';
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './admission.ts';

/**
 * Istio's config validation webhook (`/validate`, validation.istio.io) for the kinds meshpilot reads:
 * an object `meshpilot validate` would refuse is refused with the same lines; parts meshpilot accepts
 * and does not translate come back as warnings (kubectl prints them). Deletes and kinds meshpilot does
 * not read are allowed: only what it would reject is refused. Pure.
 */
export function validateAdmission(request: AdmissionRequest): AdmissionResponse {
  if (request.operation === 'DELETE') return allow(request.uid);
  const object = request.object;
  if (typeof object !== 'object' || object === null) return deny(request.uid, 'the request carries no object');
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  if (istioKindOf(apiVersion, kind) === undefined) return allow(request.uid);
  // The API server fills metadata.namespace only after admission; the request says where it goes.
  const metadata = (object as { metadata?: Record<string, unknown> }).metadata ?? {};
  const withNamespace = {
    ...object,
    metadata: { ...metadata, ...(request.namespace ? { namespace: request.namespace } : {}) },
  };
  const result = validateIstioObject(withNamespace, { type: 'kube', kubeCluster: 'admission' });
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : request.name;
  if (!result.valid)
    return deny(request.uid, invalidObjectLines(String(kind), request.namespace, name, result.errors).join('\n'));
  return allow(request.uid, translationWarnings(result.result, withNamespace));
}
