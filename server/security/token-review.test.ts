import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeTokenReviewer } from './token-review.ts';

/**
 * A loopback TokenReview API (authentication.k8s.io/v1) that answers like a real API server with
 * audiences: tokens "for:<audience>:<sa>" are valid for that audience only. It records every review
 * it receives and how many were in flight at once.
 */
interface FakeTokenReviewApi {
  readonly url: string;
  readonly reviews: { token: string; audiences: string[] | undefined }[];
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

async function startTokenReviewApi(answerDelayMs: number): Promise<FakeTokenReviewApi> {
  const reviews: { token: string; audiences: string[] | undefined }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const spec = (JSON.parse(body) as { spec: { token: string; audiences?: string[] } }).spec;
      reviews.push({ token: spec.token, audiences: spec.audiences });
      const match = /^for:([^:]+):(.+)$/.exec(spec.token);
      const tokenAudience = match?.[1];
      const granted = (spec.audiences ?? []).filter((a) => a === tokenAudience);
      const authenticated = match !== null && (spec.audiences === undefined || granted.length > 0);
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status: authenticated
              ? {
                  authenticated: true,
                  user: { username: `system:serviceaccount:default:${match[2]}` },
                  audiences: granted,
                }
              : { authenticated: false, error: 'token not valid for the requested audiences' },
          }),
        );
      }, answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reviews,
    maxInFlight: () => maxInFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function kubeconfigFor(url: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'meshpilot', user: { token: 'reviewer-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'meshpilot' } }],
    'current-context': 'c',
  });
}

describe('TokenReview: audiences, a short cache and a concurrency bound', () => {
  let api: FakeTokenReviewApi;

  beforeAll(async () => {
    api = await startTokenReviewApi(40);
  });
  afterAll(async () => {
    await api.close();
  });

  it('asks for the istio-ca audience and refuses a token issued for another', async () => {
    const reviewer = kubeTokenReviewer({ kubeconfig: kubeconfigFor(api.url), kubeCluster: 'cluster-a' });
    expect(await reviewer.review('for:istio-ca:sleep')).toEqual({
      ok: true,
      namespace: 'default',
      serviceAccount: 'sleep',
    });
    const other = await reviewer.review('for:vault:sleep');
    expect(other.ok).toBe(false);
    expect(api.reviews.find((r) => r.token === 'for:vault:sleep')?.audiences).toEqual(['istio-ca']);
    expect(JSON.stringify(other)).not.toContain('for:vault:sleep');
  });

  it('reviews a token once within the cache time, again after it', async () => {
    let now = 1_000_000;
    const reviewer = kubeTokenReviewer({
      kubeconfig: kubeconfigFor(api.url),
      kubeCluster: 'cluster-a',
      audiences: ['istio-ca'],
      cacheMs: 10_000,
      clock: () => now,
    });
    const count = (): number => api.reviews.filter((r) => r.token === 'for:istio-ca:cached').length;
    await Promise.all([reviewer.review('for:istio-ca:cached'), reviewer.review('for:istio-ca:cached')]);
    await reviewer.review('for:istio-ca:cached');
    expect(count()).toBe(1);
    now += 10_001;
    expect((await reviewer.review('for:istio-ca:cached')).ok).toBe(true);
    expect(count()).toBe(2);
  });

  it('never has more reviews in flight than its bound, and answers every caller', async () => {
    const reviewer = kubeTokenReviewer({
      kubeconfig: kubeconfigFor(api.url),
      kubeCluster: 'cluster-a',
      maxConcurrent: 3,
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => reviewer.review(`for:istio-ca:burst${index}`)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(api.maxInFlight()).toBeLessThanOrEqual(3);
    expect(api.reviews.filter((r) => r.token.startsWith('for:istio-ca:burst')).length).toBe(30);
  });
});
