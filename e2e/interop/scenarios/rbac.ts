import { until, type Scenario } from '../support/scenario.ts';
import { expectNoFailures } from '../support/rpc-checks.ts';
import { startXdsServersMesh, XDS_SERVERS_TARGET } from '../support/xds-servers-mesh.ts';

const PERMISSION_DENIED = '7';

/**
 * An AuthorizationPolicy DENY for the greeter's method path, on the pods of the xds-servers service, reaches the
 * grpc-go and grpc-java xDS servers as the RBAC HTTP filter of their inbound Listeners: every client sees
 * PERMISSION_DENIED; without the policy, the same client is served again.
 */
const DENY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-greeter, namespace: default}
spec:
  action: DENY
  rules:
  - to:
    - operation: {paths: ["/helloworld.Greeter/*"]}
`;

export const rbac: Scenario = {
  name: 'RBAC deny then allow (AuthorizationPolicy on the xDS servers)',
  async setup() {
    const servers = await startXdsServersMesh('rbac');
    return {
      async cell(client, version) {
        await servers.mesh.writeIstio('');
        const started = await servers.mesh.startClient(client, { target: XDS_SERVERS_TARGET }, { ip: '127.0.14.9' });
        version(started.version);
        const rpcs = started.process;
        try {
          await until(
            async () => (await rpcs.rpcs({ count: 4, deadlineMs: 10_000 })).failures === 0,
            'allowed',
            30_000,
          );
          await servers.mesh.writeIstio(DENY);
          await until(
            async () => (await rpcs.rpcs({ count: 4 })).byCode[PERMISSION_DENIED] === 4,
            'PERMISSION_DENIED from both servers',
            30_000,
          );
          const denied = await rpcs.rpcs({ count: 20 });
          if (denied.byCode[PERMISSION_DENIED] !== 20) throw new Error(`under DENY: ${JSON.stringify(denied)}`);
          await servers.mesh.writeIstio('');
          await until(async () => (await rpcs.rpcs({ count: 4 })).failures === 0, 'allowed again', 30_000);
          const allowed = await rpcs.rpcs({ count: 20 });
          expectNoFailures(allowed, 'after the policy was removed');
          if (Object.keys(allowed.byPeer).length !== 2) throw new Error(`allowed: ${JSON.stringify(allowed.byPeer)}`);
        } finally {
          await rpcs.stop();
        }
      },
      stop: () => servers.stop(),
    };
  },
};
