import { describe, expect, it } from 'vitest';
import { serviceSpiffeUris } from './istio-tls.ts';

describe('serviceSpiffeUris', () => {
  it('is one identity per service account in the mesh trust domain without aliases', () => {
    expect(serviceSpiffeUris('cluster.local', undefined, 'demo', ['b', 'a'])).toEqual([
      'spiffe://cluster.local/ns/demo/sa/b',
      'spiffe://cluster.local/ns/demo/sa/a',
    ]);
  });

  it("adds each account in every alias trust domain, sorted, as Istio's ExpandWithTrustDomains", () => {
    expect(serviceSpiffeUris('cluster.local', ['old-td.local', 'cluster.local'], 'demo', ['hello', 'api'])).toEqual([
      'spiffe://cluster.local/ns/demo/sa/api',
      'spiffe://cluster.local/ns/demo/sa/hello',
      'spiffe://old-td.local/ns/demo/sa/api',
      'spiffe://old-td.local/ns/demo/sa/hello',
    ]);
  });
});
