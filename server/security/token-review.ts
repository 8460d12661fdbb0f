/**
 * Service-account token authentication through a member kube cluster's TokenReview API
 * (authentication.k8s.io/v1), as istiod's Kubernetes JWT authenticator does: the review names the
 * audiences the token must be for (istiod: "istio-ca"), answers are cached briefly, and at most a
 * bounded number of reviews run at once (a burst of reconnecting proxies cannot flood the API server).
 * Tokens never appear in results, errors or logs: API error texts are scrubbed of the token.
 */
import { createHash } from 'node:crypto';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { errorMessage } from '../../common/error-message.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';

export type TokenReviewResult = { ok: true; namespace: string; serviceAccount: string } | { ok: false; reason: string };

export interface TokenReviewer {
  review(token: string): Promise<TokenReviewResult>;
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REASON_LENGTH = 300;
/** The audience istiod asks TokenReview for (its TOKEN_AUDIENCES default): proxies' projected tokens carry it. */
export const ISTIO_CA_AUDIENCE = 'istio-ca';
export const DEFAULT_TOKEN_REVIEW_CACHE_MS = 30_000;
export const DEFAULT_TOKEN_REVIEW_CONCURRENCY = 16;
const MAX_CACHED_TOKENS = 10_000;
/** Reviews waiting for a free slot beyond this are refused at once. */
const MAX_WAITING_REVIEWS = 1_000;

/** Replaces every occurrence of `secret` in `text` and bounds its length. */
export function redact(text: string, secret: string): string {
  const scrubbed = secret.length === 0 ? text : text.split(secret).join('[redacted]');
  return scrubbed.length > MAX_REASON_LENGTH ? `${scrubbed.slice(0, MAX_REASON_LENGTH)}…` : scrubbed;
}

/** The namespace and service account of a TokenReview username, or why it is not a service account. */
export function serviceAccountOfUser(username: string | undefined): TokenReviewResult {
  const match = SERVICE_ACCOUNT_USER.exec(username ?? '');
  if (match === null)
    return { ok: false, reason: `the token belongs to "${username ?? ''}", not to a Kubernetes service account` };
  return { ok: true, namespace: match[1] ?? '', serviceAccount: match[2] ?? '' };
}

export interface KubeTokenReviewerOptions {
  /** kubeconfig YAML text of the kube cluster whose tokens are trusted. */
  kubeconfig: string;
  kubeCluster: string;
  /** What the kubeconfig may use beyond inline credentials (clusters[].kubeconfigAllow). */
  policy?: KubeconfigPolicy;
  timeoutMs?: number;
  /** Audiences the token must be for (default [istio-ca]); the answer must name one of them. */
  audiences?: readonly string[];
  /** How long an acceptance is reused for the same token; 0 = no cache. Refusals are never cached. */
  cacheMs?: number;
  /** Reviews in flight at most; more wait for a slot. */
  maxConcurrent?: number;
  clock?: () => number;
}

/** At most `limit` tasks at once; the rest wait in order (up to MAX_WAITING_REVIEWS). */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>, busy: () => T): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= MAX_WAITING_REVIEWS) return busy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

/** A TokenReviewer that asks one kube cluster's API server (client-node AuthenticationV1Api). */
export function kubeTokenReviewer(options: KubeTokenReviewerOptions): TokenReviewer {
  const { kubeConfig: config } = loadKubeConfig({ yaml: options.kubeconfig }, options.policy);
  const api = config.makeApiClient(AuthenticationV1Api);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const audiences = [...(options.audiences ?? [ISTIO_CA_AUDIENCE])];
  const cacheMs = options.cacheMs ?? DEFAULT_TOKEN_REVIEW_CACHE_MS;
  const clock = options.clock ?? Date.now;
  const slots = new Slots(Math.max(1, options.maxConcurrent ?? DEFAULT_TOKEN_REVIEW_CONCURRENCY));
  /** sha256(token) → answer and when it expires; the token itself is never kept. */
  const cache = new Map<string, { result: TokenReviewResult; expiresAt: number }>();
  /** Reviews in flight, so the same token asked for twice at once is reviewed once. */
  const inFlight = new Map<string, Promise<TokenReviewResult>>();

  /** The API server's answer; `transient` when there was none (timeout, unreachable): not cached. */
  async function ask(token: string): Promise<{ result: TokenReviewResult; transient: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const review = await Promise.race([
        api.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, audiences },
          },
        }),
        timeout,
      ]);
      const reviewStatus = review.status;
      if (reviewStatus?.authenticated !== true) {
        const why = reviewStatus?.error !== undefined ? `: ${redact(reviewStatus.error, token)}` : '';
        return {
          result: { ok: false, reason: `kube cluster "${options.kubeCluster}" did not authenticate the token${why}` },
          transient: false,
        };
      }
      // An audience-aware API server answers the audiences the token is valid for; one that answers none ignored them.
      if (!(reviewStatus.audiences ?? []).some((audience) => audiences.includes(audience))) {
        return {
          result: {
            ok: false,
            reason: `kube cluster "${options.kubeCluster}" authenticated the token but not for audience ${audiences.join(', ')}`,
          },
          transient: false,
        };
      }
      return { result: serviceAccountOfUser(reviewStatus.user?.username), transient: false };
    } catch (error: unknown) {
      return {
        result: {
          ok: false,
          reason: `TokenReview on kube cluster "${options.kubeCluster}" failed: ${redact(errorMessage(error), token)}`,
        },
        transient: true,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async review(token: string): Promise<TokenReviewResult> {
      const key = createHash('sha256').update(token).digest('hex');
      const now = clock();
      const cached = cache.get(key);
      if (cached !== undefined && cached.expiresAt > now) return cached.result;
      const pending = inFlight.get(key);
      if (pending !== undefined) return pending;
      const reviewing = slots
        .run(
          () => ask(token),
          () => ({
            result: {
              ok: false as const,
              reason: `too many TokenReviews waiting on kube cluster "${options.kubeCluster}"; retry`,
            },
            transient: true,
          }),
        )
        .then(({ result, transient }) => {
          // Only acceptances are reused: a refusal or a failed call (timeout, API server down) is asked again.
          if (cacheMs > 0 && !transient && result.ok) {
            if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value as string);
            cache.set(key, { result, expiresAt: clock() + cacheMs });
          }
          return result;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, reviewing);
      return reviewing;
    },
  };
}
