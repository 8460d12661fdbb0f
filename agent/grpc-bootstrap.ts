/**
 * The bootstrap a proxyless gRPC workload (grpc-js-xds, grpc-go, grpc-java) reads from
 * GRPC_XDS_BOOTSTRAP, written the way Istio's grpc-agent writes it: Istio node id and metadata, a
 * `file_watcher` certificate provider instance named "default" over the agent's files, and the
 * inbound listener name template Istio's proxyless servers use.
 */
import { join } from 'node:path';

export const CERTIFICATE_PROVIDER_INSTANCE = 'default';
export const SERVER_LISTENER_TEMPLATE = 'xds.istio.io/grpc/lds/inbound/%s';
export const CERT_CHAIN_FILE = 'cert-chain.pem';
export const KEY_FILE = 'key.pem';
export const ROOT_CERT_FILE = 'root-cert.pem';
export const BOOTSTRAP_FILE = 'grpc-bootstrap.json';

export interface WorkloadFacts {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podIp: string;
  kubeCluster: string;
  domainSuffix: string;
  network?: string;
  locality?: { region?: string; zone?: string; sub_zone?: string };
}

export interface BootstrapSettings {
  /** host:port of meshpilot's xDS port, as written into xds_servers. */
  xdsAddress: string;
  /**
   * `tls`: mTLS to the TLS xDS port with the agent's files (gRFC A65 "tls" channel credentials, read
   * by grpc-go/java/c++; grpc-js-xds 1.14 reads only insecure and google_default). `insecure`: plaintext.
   */
  xdsCredentials: 'insecure' | 'tls';
  outDir: string;
  /** How often the file watcher re-reads the certificate files, in whole seconds. */
  refreshIntervalSeconds: number;
}

export function istioNodeId(workload: WorkloadFacts): string {
  return `sidecar~${workload.podIp}~${workload.podName}.${workload.namespace}~${workload.namespace}.svc.${workload.domainSuffix}`;
}

export function certificateFiles(outDir: string): {
  certificate_file: string;
  private_key_file: string;
  ca_certificate_file: string;
} {
  return {
    certificate_file: join(outDir, CERT_CHAIN_FILE),
    private_key_file: join(outDir, KEY_FILE),
    ca_certificate_file: join(outDir, ROOT_CERT_FILE),
  };
}

export function buildGrpcBootstrap(workload: WorkloadFacts, settings: BootstrapSettings): Record<string, unknown> {
  const files = certificateFiles(settings.outDir);
  const refreshInterval = `${Math.max(1, Math.floor(settings.refreshIntervalSeconds))}s`;
  const channelCreds =
    settings.xdsCredentials === 'tls'
      ? [{ type: 'tls', config: { ...files, refresh_interval: refreshInterval } }]
      : [{ type: 'insecure' }];
  return {
    xds_servers: [{ server_uri: settings.xdsAddress, channel_creds: channelCreds, server_features: ['xds_v3'] }],
    node: {
      id: istioNodeId(workload),
      metadata: {
        GENERATOR: 'grpc',
        CLUSTER_ID: workload.kubeCluster,
        NAMESPACE: workload.namespace,
        SERVICE_ACCOUNT: workload.serviceAccount,
        INSTANCE_IPS: workload.podIp,
        ...(workload.network !== undefined ? { NETWORK: workload.network } : {}),
      },
      locality: workload.locality ?? {},
    },
    certificate_providers: {
      [CERTIFICATE_PROVIDER_INSTANCE]: {
        plugin_name: 'file_watcher',
        config: { ...files, refresh_interval: refreshInterval },
      },
    },
    server_listener_resource_name_template: SERVER_LISTENER_TEMPLATE,
  };
}
