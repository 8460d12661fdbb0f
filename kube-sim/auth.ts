import { randomBytes } from 'node:crypto';
import { apiErrors, KubeSimError, KubeSimErrorCode } from './errors.ts';

export type Access = 'admin' | 'read-only' | 'none';

export interface Identity {
  username: string;
  uid: string;
  groups: string[];
  access: Access;
  /** A service-account token's audiences; undefined: audience-agnostic (valid only for the API audience). */
  audiences?: readonly string[];
}

/** What TokenReview assumes when its spec names no audience (a real API server's --api-audiences default: its issuer). */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
/** The audience a registered service-account token is for by default: istiod's, as a proxy's projected token. */
export const DEFAULT_TOKEN_AUDIENCE = 'istio-ca';

const readVerbs = new Set(['get', 'list', 'watch']);

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export interface TokenOptions {
  adminToken?: string;
  readOnlyToken?: string;
  noRightsToken?: string;
}

/** Bearer tokens the simulator knows and what each may do (a tiny stand-in for authn + RBAC). */
export class TokenRegistry {
  readonly adminToken: string;
  readonly readOnlyToken: string;
  readonly noRightsToken: string;
  private readonly identities = new Map<string, Identity>();

  constructor(options: TokenOptions = {}) {
    this.adminToken = options.adminToken ?? newToken();
    this.readOnlyToken = options.readOnlyToken ?? newToken();
    this.noRightsToken = options.noRightsToken ?? newToken();
    const tokens = [this.adminToken, this.readOnlyToken, this.noRightsToken];
    if (new Set(tokens).size !== tokens.length || tokens.some((token) => token === '')) {
      throw new KubeSimError(
        KubeSimErrorCode.badOption,
        'adminToken, readOnlyToken and noRightsToken must be distinct, non-empty strings',
      );
    }
    this.identities.set(this.adminToken, {
      username: 'kube-sim:admin',
      uid: 'kube-sim-admin',
      groups: ['system:masters', 'system:authenticated'],
      access: 'admin',
    });
    this.identities.set(this.readOnlyToken, {
      username: 'kube-sim:read-only',
      uid: 'kube-sim-read-only',
      groups: ['system:authenticated'],
      access: 'read-only',
    });
    this.identities.set(this.noRightsToken, {
      username: 'kube-sim:no-rights',
      uid: 'kube-sim-no-rights',
      groups: ['system:authenticated'],
      access: 'none',
    });
  }

  /** A service-account token for `audiences`: TokenReview answers for it (for those audiences), and it may call the API with `access`. */
  registerServiceAccountToken(
    token: string,
    namespace: string,
    serviceAccount: string,
    access: Access = 'none',
    audiences: readonly string[] = [DEFAULT_TOKEN_AUDIENCE],
  ): void {
    if (token === '' || namespace === '' || serviceAccount === '') {
      throw new KubeSimError(
        KubeSimErrorCode.badOption,
        'registerServiceAccountToken needs a non-empty token, namespace and serviceAccount',
      );
    }
    if (this.identities.get(token) && !this.identities.get(token)?.username.startsWith('system:serviceaccount:')) {
      throw new KubeSimError(
        KubeSimErrorCode.badOption,
        'that token is already the admin, read-only or no-rights token',
      );
    }
    this.identities.set(token, {
      username: `system:serviceaccount:${namespace}:${serviceAccount}`,
      uid: `kube-sim-sa-${namespace}-${serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      access,
      audiences: [...audiences],
    });
  }

  identify(token: string | undefined): Identity | undefined {
    return token === undefined ? undefined : this.identities.get(token);
  }

  /** The identity behind an Authorization header, or a 401 Status error. */
  authenticate(authorization: string | undefined): Identity {
    const identity = this.identify(bearerToken(authorization));
    if (!identity) throw apiErrors.unauthorized();
    return identity;
  }
}

export function allows(identity: Identity, verb: string): boolean {
  if (identity.access === 'admin') return true;
  if (identity.access === 'read-only') return readVerbs.has(verb);
  return false;
}

export function authorize(
  identity: Identity,
  verb: string,
  resource: string,
  group: string,
  namespace: string | undefined,
): void {
  if (!allows(identity, verb)) throw apiErrors.forbidden(identity.username, verb, resource, group, namespace);
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}
