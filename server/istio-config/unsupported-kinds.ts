import type { ConfigOrigin } from '../../model/istio/types.ts';
import { describeOrigin } from './config-source.ts';
import { istioKindOf } from './validate.ts';

/** Logged, listed on /debug/configz and printed by `validate` for an object of a kind meshpilot does not translate. */
export const UNSUPPORTED_KIND_CODE = 'MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED';

/**
 * API groups whose objects istiod reads (Istio's config kinds and the Kubernetes Gateway API). An object of
 * one of these groups that meshpilot does not translate changes what istiod would send, so it must not pass
 * silently: the mesh would look healthy while traffic takes another path.
 */
const ISTIO_READ_GROUPS: ReadonlySet<string> = new Set([
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
  'gateway.networking.k8s.io',
  'gateway.networking.x-k8s.io',
  'inference.networking.k8s.io',
  'inference.networking.x-k8s.io',
]);

/** What Istio would do with the kinds users bring most often, for the warning (others get a generic text). */
const WHAT_ISTIO_DOES: Readonly<Record<string, string>> = {
  EnvoyFilter: 'patches the generated Envoy config',
  RequestAuthentication: 'validates JWTs on inbound requests',
  WasmPlugin: 'adds Wasm filters to proxies',
  ProxyConfig: 'sets proxy bootstrap options',
  Gateway: 'configures gateway listeners',
  HTTPRoute: 'routes HTTP through Gateway API gateways and to mesh services',
  GRPCRoute: 'routes gRPC through Gateway API gateways and to mesh services',
  TCPRoute: 'routes TCP through Gateway API gateways',
  TLSRoute: 'routes TLS through Gateway API gateways',
  GatewayClass: 'selects the Gateway API controller',
  ReferenceGrant: 'allows cross-namespace Gateway API references',
  BackendTLSPolicy: 'sets TLS to a Gateway API backend',
};

/** An object of a kind istiod reads that meshpilot does not translate: ignored, and said so. */
export interface UnsupportedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly origin: ConfigOrigin;
  /** "not supported: EnvoyFilter (networking.istio.io) patches the generated Envoy config in Istio; meshpilot ignores it" */
  readonly reason: string;
}

/**
 * The reason an object of this apiVersion and kind is not translated, or undefined when meshpilot
 * translates it (or istiod would not read it either: Services, Deployments, ...). An Istio kind at an
 * unknown apiVersion is not "unsupported": validation rejects it with MESHPILOT_ERR_ISTIO_CONFIG_API_VERSION.
 */
export function unsupportedKindReason(apiVersion: unknown, kind: unknown): string | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  if (!ISTIO_READ_GROUPS.has(group)) return undefined;
  if (istioKindOf(apiVersion, kind) !== undefined) return undefined;
  const what = Object.hasOwn(WHAT_ISTIO_DOES, kind) ? ` ${WHAT_ISTIO_DOES[kind]} in Istio;` : '';
  return `not supported: ${kind} (${group})${what} meshpilot does not translate it and ignores it`;
}

/** An UnsupportedObject for a manifest or API object, or undefined when its kind is translated or not istiod's. */
export function unsupportedObjectOf(
  object: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } },
  origin: ConfigOrigin,
): UnsupportedObject | undefined {
  const reason = unsupportedKindReason(object.apiVersion, object.kind);
  if (reason === undefined) return undefined;
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace;
  return {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    namespace: typeof namespace === 'string' ? namespace : 'default',
    name: typeof name === 'string' ? name : '',
    origin,
    reason,
  };
}

/** One line for logs and `validate`: `EnvoyFilter istio-system/add-header (istio/filters.yaml): not supported: ... [CODE]`. */
export function describeUnsupported(object: UnsupportedObject): string {
  return `${object.kind} ${object.namespace}/${object.name} (${describeOrigin(object.origin)}): ${object.reason} [${UNSUPPORTED_KIND_CODE}]`;
}
