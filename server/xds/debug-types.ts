import type { status } from '@grpc/grpc-js';
import type { AuthenticatedIdentity } from './authenticated-identity.ts';
import type { ControlPlaneId } from './wire.ts';

/**
 * Istio's debug types over ADS (istiod's StatusGen and DebugGen): `istio.io/debug/syncz`,
 * `istio.io/debug/config_dump`, and `istio.io/debug` with a debug path as the resource name. istioctl
 * asks them on a stream of their own (`proxy-status`, `x internal-debug`); such a stream is not a
 * proxy: it is answered per request, never pushed to, and not listed among connected proxies.
 */
export const DEBUG_TYPE = 'istio.io/debug' as const;

export function isDebugTypeUrl(typeUrl: string | undefined): typeUrl is string {
  return typeUrl === DEBUG_TYPE || (typeUrl?.startsWith(`${DEBUG_TYPE}/`) ?? false);
}

/** One Any of a debug answer: its type URL and the encoded message (or raw bytes, as istiod's DebugGen). */
export interface DebugResource {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

export type DebugAnswer =
  | { readonly ok: true; readonly resources: readonly DebugResource[] }
  | { readonly ok: false; readonly code: status; readonly message: string };

export interface DebugRequest {
  readonly typeUrl: string;
  readonly names: readonly string[];
  /** The identity the caller proved on the TLS port; undefined on the plaintext port. */
  readonly authenticated: AuthenticatedIdentity | undefined;
}

/** Answers debug requests (injected by the runtime; the stream code knows nothing of what is asked). */
export interface DebugResponder {
  answer(request: DebugRequest): DebugAnswer;
  /** The control_plane of debug answers: istiod's JSON identifier, which istioctl shows per proxy. */
  readonly controlPlane: ControlPlaneId;
}
