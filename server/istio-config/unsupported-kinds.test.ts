import { describe, expect, it } from 'vitest';
import { unsupportedKindReason } from './unsupported-kinds.ts';

describe('unsupportedKindReason', () => {
  it('names the kinds istiod reads that meshpilot does not translate', () => {
    for (const [apiVersion, kind] of [
      ['networking.istio.io/v1alpha3', 'EnvoyFilter'],
      ['security.istio.io/v1', 'RequestAuthentication'],
      ['extensions.istio.io/v1alpha1', 'WasmPlugin'],
      ['networking.istio.io/v1beta1', 'ProxyConfig'],
      ['gateway.networking.k8s.io/v1', 'Gateway'],
      ['gateway.networking.k8s.io/v1', 'GRPCRoute'],
      ['gateway.networking.x-k8s.io/v1alpha1', 'XListenerSet'],
    ])
      expect(unsupportedKindReason(apiVersion, kind), `${apiVersion} ${kind}`).toMatch(
        new RegExp(`^not supported: ${kind} \\(`),
      );
  });

  it('leaves out the kinds meshpilot translates, kinds istiod does not read, and Istio kinds at an unknown version', () => {
    for (const [apiVersion, kind] of [
      ['networking.istio.io/v1', 'VirtualService'],
      ['networking.istio.io/v1beta1', 'DestinationRule'],
      ['security.istio.io/v1', 'AuthorizationPolicy'],
      ['telemetry.istio.io/v1', 'Telemetry'],
      ['networking.istio.io/v2', 'VirtualService'],
      ['v1', 'Service'],
      ['apps/v1', 'Deployment'],
      ['example.com/v1', 'EnvoyFilter'],
    ])
      expect(unsupportedKindReason(apiVersion, kind), `${apiVersion} ${kind}`).toBeUndefined();
  });
});
