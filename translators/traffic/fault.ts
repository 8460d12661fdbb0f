import { duration, type TypedObject } from '../../protos/any.ts';
import type { FractionalPercent } from '../../protos/generated/envoy/type/v3/FractionalPercent.ts';
import { typedConfig } from '../common/typed-config.ts';
import type { GrpcStatusName, HTTPFaultInjection, Percent } from '../../model/istio/types.ts';

export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault' as const;

const GRPC_CODES: Readonly<Record<GrpcStatusName, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** Istio's percentage (0..100, fractions allowed) as a FractionalPercent per million; absent = every request. */
function fraction(percentage: Percent | undefined): FractionalPercent {
  return { numerator: Math.round((percentage?.value ?? 100) * 10_000), denominator: 'MILLION' };
}

/** The route's `typed_per_filter_config` entry for the fault filter (Envoy and grpc-js-xds read the same). */
export function faultPerFilterConfig(fault: HTTPFaultInjection): Record<string, TypedObject> {
  const delay = fault.delay
    ? { delay: { fixed_delay: duration(fault.delay.fixedDelay), percentage: fraction(fault.delay.percentage) } }
    : {};
  const abort = fault.abort
    ? {
        abort: {
          ...('httpStatus' in fault.abort
            ? { http_status: fault.abort.httpStatus }
            : { grpc_status: GRPC_CODES[fault.abort.grpcStatus] }),
          percentage: fraction(fault.abort.percentage),
        },
      }
    : {};
  return { [FAULT_FILTER_NAME]: typedConfig(FAULT_TYPE, { ...delay, ...abort }) };
}
