import { IstioConfigErrorCode } from './schema-common.ts';

/**
 * One line per error of an invalid Istio object, as `meshpilot validate` prints them:
 * `VirtualService sample/reviews: spec.http[0].route[0].weight: ... [MESHPILOT_ERR_ISTIO_CONFIG_INVALID]`.
 */
export function invalidObjectLines(
  kind: string,
  namespace: string | undefined,
  name: string | undefined,
  errors: readonly string[],
): string[] {
  return errors.map((error) => `${kind} ${namespace ?? 'default'}/${name}: ${error} [${IstioConfigErrorCode.invalid}]`);
}
