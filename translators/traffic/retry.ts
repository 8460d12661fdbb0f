import { duration } from '../../protos/any.ts';
import type { RetryPolicy } from '../../protos/generated/envoy/config/route/v3/RetryPolicy.ts';
import { typedConfig } from '../common/typed-config.ts';
import type { HTTPRetry } from '../../model/istio/types.ts';
import { isLoadedProtoType } from '../common/proto-types.ts';

const PREVIOUS_HOSTS = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' as const;
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/**
 * Istio's default retry policy (networking/core/route/retry), for Envoy and proxyless gRPC alike:
 * gRPC reads the status names it knows from retry_on (unavailable, cancelled) and ignores the rest.
 * The previous-hosts predicate only when its proto is loaded, and not for a route that hashes consistently
 * (Istio's DefaultConsistentHashPolicy: retries stay on the hashed host).
 */
export function defaultRetryPolicy(consistentHash = false): RetryPolicy {
  return {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: { value: 2 },
    ...(!consistentHash && isLoadedProtoType(PREVIOUS_HOSTS)
      ? {
          retry_host_predicate: [
            { name: 'envoy.retry_host_predicates.previous_hosts', typed_config: typedConfig(PREVIOUS_HOSTS, {}) },
          ],
        }
      : {}),
    host_selection_retry_max_attempts: 5,
  };
}

/**
 * A VirtualService route's retries, as Istio's retry.ConvertPolicy: absent = the default policy;
 * attempts 0 = no retries (undefined); else the default with attempts, perTryTimeout and retryOn
 * replaced — numeric retryOn entries become retriable status codes (with `retriable-status-codes`).
 */
export function virtualServiceRetryPolicy(
  retries: HTTPRetry | undefined,
  consistentHash = false,
): RetryPolicy | undefined {
  if (!retries) return defaultRetryPolicy(consistentHash);
  if (retries.attempts === 0) return undefined;
  const policy: RetryPolicy = { ...defaultRetryPolicy(consistentHash), num_retries: { value: retries.attempts } };
  if (retries.perTryTimeout !== undefined && retries.perTryTimeout > 0)
    policy.per_try_timeout = duration(retries.perTryTimeout);
  if (retries.retryOn) {
    const parts = retries.retryOn
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const codes = parts.filter((p) => /^\d+$/.test(p)).map(Number);
    const names = parts.filter((p) => !/^\d+$/.test(p));
    if (codes.length > 0 && !names.includes('retriable-status-codes')) names.push('retriable-status-codes');
    policy.retry_on = names.join(',');
    if (codes.length > 0) policy.retriable_status_codes = codes;
  }
  return policy;
}
