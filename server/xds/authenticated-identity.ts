/**
 * The identity a proxy proved on the TLS xDS port, by a client certificate from the mesh CA or a
 * Kubernetes service-account token (TokenReview). It, not node metadata, bounds what SDS serves.
 */
export interface AuthenticatedIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly spiffeId: string;
  readonly method: 'client-certificate' | 'service-account-token';
}
