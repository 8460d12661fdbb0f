import { writeFile } from 'node:fs/promises';
import * as grpcXds from '@grpc/grpc-js-xds';
import { join } from 'node:path';
import { ClientProcess } from '../support/client-process.ts';
import { clientCommand } from '../support/clients.ts';
import { until, type Scenario } from '../support/scenario.ts';
import { expectNoFailures } from '../support/rpc-checks.ts';
import { CLIENT_ID, GREETER_TARGET, MTLS_NS, startMtlsMesh } from '../../support/mtls-mesh.ts';

/** ISTIO_MUTUAL towards greeter (the client's Cluster gets an UpstreamTlsContext) and STRICT at the server. */
export const MTLS_ISTIO_CONFIG = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'greeter', namespace: MTLS_NS },
    spec: { host: `greeter.${MTLS_NS}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: MTLS_NS },
    spec: { mtls: { mode: 'STRICT' } },
  },
];

/**
 * mTLS with meshpilot's CA through the file_watcher certificate provider: `meshpilot agent` fetched the client's
 * certificate (CSR API, TokenReview) and wrote the bootstrap naming its files; each client uses its language's
 * XdsChannelCredentials and calls the STRICT XdsServer, which must see the client's SPIFFE identity.
 */
export const mtls: Scenario = {
  name: "mTLS with meshpilot's CA (file_watcher certificate provider)",
  async setup() {
    grpcXds.register(); // the greeter's XdsServer runs in this process
    const mesh = await startMtlsMesh('interop-mtls', MTLS_ISTIO_CONFIG);
    const bootstrapFile = join(mesh.dir, 'interop-client-bootstrap.json');
    await writeFile(bootstrapFile, mesh.clientAgent.bootstrap);
    return {
      async cell(client, version) {
        const started = await ClientProcess.start(
          client,
          clientCommand(client, { target: GREETER_TARGET, creds: 'xds' }),
          {
            GRPC_XDS_BOOTSTRAP: bootstrapFile,
          },
        );
        version(started.version);
        try {
          // The first RPCs may race the client's Cluster (with its TLS context) arriving.
          await until(
            async () => (await started.client.rpcs({ count: 2, deadlineMs: 10_000 })).failures === 0,
            'an mTLS RPC',
            30_000,
          );
          const before = mesh.peers.length;
          const result = await started.client.rpcs({ count: 20 });
          expectNoFailures(result, 'mTLS RPCs');
          const seen = mesh.peers.slice(before);
          if (seen.length !== 20 || seen.some((peer) => peer !== `URI:${CLIENT_ID}`))
            throw new Error(`the server saw callers ${JSON.stringify([...new Set(seen)])}, want URI:${CLIENT_ID}`);
        } finally {
          await started.client.stop();
        }
      },
      stop: () => mesh.stop(),
    };
  },
};
