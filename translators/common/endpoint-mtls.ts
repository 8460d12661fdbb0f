import type { IstioConfig } from '../../model/istio/types.ts';
import type { MeshSnapshot, WorkloadEndpoint } from '../../model/types.ts';
import { mtlsModeForPort, workloadMtls } from '../security/peer-authentication.ts';
import type { EffectivePolicy } from '../traffic/destination-rule.ts';

/**
 * Whether a client sends Istio mTLS to an endpoint (Istio's mtlsChecker, pilot/pkg/xds/endpoints):
 * a DestinationRule TLS mode for the port (and subset) decides alone, ISTIO_MUTUAL meaning yes;
 * without one, the endpoint must carry `security.istio.io/tlsMode: istio` and its PeerAuthentication
 * must not DISABLE mTLS on its port. Only such endpoints may cross networks through an east-west
 * gateway (it routes by the SNI of Istio mTLS), and only they carry the tlsMode metadata.
 */
export function endpointMtls(
  snapshot: MeshSnapshot,
  policy: EffectivePolicy,
  namespace: string,
): (endpoint: WorkloadEndpoint) => boolean {
  const drMode = policy.tls?.mode;
  if (drMode !== undefined) {
    const mutual = drMode === 'ISTIO_MUTUAL';
    return () => mutual;
  }
  const policies: readonly IstioConfig<'PeerAuthentication'>[] = snapshot.istioConfig.peerAuthentications;
  const rootNamespace = snapshot.istioConfig.rootNamespace;
  return (endpoint) => {
    if (endpoint.tlsMode !== 'istio') return false;
    if (policies.length === 0) return true;
    const mtls = workloadMtls(policies, { namespace, labels: endpoint.labels, rootNamespace });
    return mtlsModeForPort(mtls, endpoint.port) !== 'DISABLE';
  };
}
