import { describe, it } from 'vitest';
import { LISTENER_TYPE } from '../../protos/type-urls.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { translateAll } from '../index.ts';
import { expectGolden, wireResources } from '../test-support/golden.ts';
import { RICH_APP_IP, richView } from '../test-support/rich-snapshot.ts';
import { AUTHORIZATION_POLICIES, PEER_AUTHENTICATIONS, securedRichSnapshot } from '../test-support/secured-snapshot.ts';

/** Golden files (testdata/security.*.json) per field group, on the rich mesh's app workload. */
function workloadListeners(snapshot: MeshSnapshot, generator: 'envoy' | 'grpc') {
  const own = (name: string) => name === 'virtualInbound' || name.includes(`/inbound/${RICH_APP_IP}:`);
  return wireResources(translateAll(LISTENER_TYPE, snapshot, richView({ generator })).filter((r) => own(r.name)));
}

describe('security golden files', () => {
  const peerAuthentication = securedRichSnapshot(PEER_AUTHENTICATIONS);
  const authorization = securedRichSnapshot([...PEER_AUTHENTICATIONS, ...AUTHORIZATION_POLICIES]);

  it('PeerAuthentication modes (mesh STRICT, port 3306 DISABLE, 8080 PERMISSIVE): sidecar virtualInbound', () => {
    expectGolden('security.peer-authentication.sidecar.lds.json', workloadListeners(peerAuthentication, 'envoy'));
  });

  it('PeerAuthentication modes: proxyless gRPC server listeners on the pod IP', () => {
    expectGolden('security.peer-authentication.grpc.lds.json', workloadListeners(peerAuthentication, 'grpc'));
  });

  it('AuthorizationPolicy ALLOW / DENY / AUDIT rules: sidecar network RBAC', () => {
    expectGolden('security.authorization-policy.sidecar.lds.json', workloadListeners(authorization, 'envoy'));
  });

  it('AuthorizationPolicy rules: proxyless gRPC HTTP RBAC', () => {
    expectGolden('security.authorization-policy.grpc.lds.json', workloadListeners(authorization, 'grpc'));
  });
});
