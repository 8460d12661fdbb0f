/**
 * Service-account token authentication through a member kube cluster's TokenReview API
 * (authentication.k8s.io/v1), as istiod's Kubernetes JWT authenticator does.
 * Tokens never appear in results, errors or logs: API error texts are scrubbed of the token.
 */
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import type { KubeconfigPolicy } from '../kube/kubeconfig-policy.ts';
import { errorMessage } from '../../common/error-message.ts';

export type TokenReviewResult = { ok: true; namespace: string; serviceAccount: string } | { ok: false; reason: string };

export interface TokenReviewer {
  review(token: string): Promise<TokenReviewResult>;
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
/** The audience istiod asks TokenReview for (its TOKEN_AUDIENCES default): proxies' projected tokens carry it. */
export const ISTIO_CA_AUDIENCE = 'istio-ca';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REASON_LENGTH = 300;

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
}

/** A TokenReviewer that asks one kube cluster's API server (client-node AuthenticationV1Api). */
export function kubeTokenReviewer(options: KubeTokenReviewerOptions): TokenReviewer {
  const { kubeConfig: config } = loadKubeConfig({ yaml: options.kubeconfig }, options.policy);
  const api = config.makeApiClient(AuthenticationV1Api);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const audiences = [...(options.audiences ?? [ISTIO_CA_AUDIENCE])];
  return {
    async review(token: string): Promise<TokenReviewResult> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const review = await Promise.race([
          api.createTokenReview({
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
          }),
          timeout,
        ]);
        const reviewStatus = review.status;
        if (reviewStatus?.authenticated !== true) {
          const why = reviewStatus?.error !== undefined ? `: ${redact(reviewStatus.error, token)}` : '';
          return { ok: false, reason: `kube cluster "${options.kubeCluster}" did not authenticate the token${why}` };
        }
        // An audience-aware API server answers the audiences the token is valid for; one that answers none ignored them.
        if (!(reviewStatus.audiences ?? []).some((audience) => audiences.includes(audience))) {
          return {
            ok: false,
            reason: `kube cluster "${options.kubeCluster}" authenticated the token but not for audience ${audiences.join(', ')}`,
          };
        }
        return serviceAccountOfUser(reviewStatus.user?.username);
      } catch (error: unknown) {
        return {
          ok: false,
          reason: `TokenReview on kube cluster "${options.kubeCluster}" failed: ${redact(errorMessage(error), token)}`,
        };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
