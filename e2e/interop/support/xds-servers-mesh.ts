import { GRPC_SERVER_LISTENER_TEMPLATE } from '../../../translators/common/names.ts';
import { freePort } from '../../support/xds-server-support.ts';
import { startInteropMesh, type InteropMesh } from './interop-mesh.ts';
import { ServerProcess, type ServerName } from './server-process.ts';

/**
 * Service `xds-servers` backed by two xDS-enabled servers on one port: grpc-go's (GO_IP) and grpc-java's
 * (JAVA_IP), each a pod of cluster-a with a bootstrap naming its inbound Listener
 * (server_listener_resource_name_template); both must reach SERVING, which they do only once meshpilot's
 * Listener for their ip:port arrived and was accepted.
 */
export const GO_IP = '127.0.14.1';
export const JAVA_IP = '127.0.14.2';
export const XDS_SERVERS_TARGET = 'xds:///xds-servers.default.svc.cluster.local:5000';

export interface XdsServersMesh {
  readonly mesh: InteropMesh;
  readonly servers: readonly ServerProcess[];
  stop(): Promise<void>;
}

export async function startXdsServersMesh(name: string, istio?: string): Promise<XdsServersMesh> {
  const port = await freePort(GO_IP);
  const pods: [ServerName, string][] = [
    ['grpc-go', GO_IP],
    ['grpc-java', JAVA_IP],
  ];
  const mesh = await startInteropMesh(name, {
    services: [
      {
        name: 'xds-servers',
        port: 5000,
        targetPort: port,
        endpoints: pods.map(([server, ip]) => ({ ip, pod: `${server}-server` })),
      },
    ],
    ...(istio ? { istio } : {}),
  });
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await mesh.stop();
  };
  try {
    for (const [server, ip] of pods) {
      const bootstrap = await mesh.bootstrapFile(`sidecar~${ip}~${server}-server.default~default.svc.cluster.local`, {
        ip,
        bootstrapExtra: { server_listener_resource_name_template: GRPC_SERVER_LISTENER_TEMPLATE },
      });
      servers.push(ServerProcess.start(server, `${ip}:${port}`, `${server}-server`, bootstrap));
    }
    await Promise.all(servers.map((s) => s.serving()));
    return { mesh, servers, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
