import { typed, type ProtoObject } from '../protos/any.ts';
import { isLoadedProtoType } from './proto-types.ts';

const PREVIOUS_HOSTS = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

/**
 * Istio's default retry policy (networking/core/route/retry), for Envoy and proxyless gRPC alike:
 * gRPC reads the status names it knows from retry_on (unavailable, cancelled) and ignores the rest.
 * The previous-hosts predicate only when its proto is loaded.
 */
export function defaultRetryPolicy(): ProtoObject {
  return {
    retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    num_retries: { value: 2 },
    ...(isLoadedProtoType(PREVIOUS_HOSTS)
      ? { retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: typed(PREVIOUS_HOSTS, {}) }] }
      : {}),
    host_selection_retry_max_attempts: 5,
    retriable_status_codes: [503],
  };
}
