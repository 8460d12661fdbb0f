import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type ProtoObject } from '../protos/any.ts';
import { formatViolations, validateResourceBytes } from '../protos/validate-rules.ts';
import {
  BOOTSTRAP_TYPE,
  bootstrapObject,
  buildEnvoyBootstrap,
  istioProxyNodeId,
  XDS_ENVOY_CLUSTER,
  type EnvoyBootstrapInput,
} from './bootstrap.ts';

const SIDECAR: EnvoyBootstrapInput = {
  proxyType: 'sidecar',
  podIp: '10.0.1.20',
  podName: 'helloworld-v1-0',
  namespace: 'default',
  serviceAccount: 'helloworld',
  kubeCluster: 'cluster-a',
  network: 'net-a',
  locality: { region: 'cn', zone: 'shanghai-20', subZone: 'rack-1' },
  labels: { app: 'helloworld', version: 'v1' },
  xds: { address: { host: '10.0.0.2', port: 15010 } },
};

const ROUTER: EnvoyBootstrapInput = {
  ...SIDECAR,
  proxyType: 'router',
  podIp: '10.0.1.10',
  podName: 'istio-eastwestgateway-0',
  namespace: 'istio-system',
  serviceAccount: 'istio-eastwestgateway',
  labels: { app: 'istio-eastwestgateway', istio: 'eastwestgateway' },
  requestedNetworkView: ['net-a'],
  xds: {
    address: { host: 'meshpilot', port: 15012 },
    tls: { rootCertFile: '/etc/meshpilot/root-cert.pem' },
    bearerToken: 'sa-token',
  },
};

/** Encodes, checks validate.rules, and decodes back: what Envoy would read. */
function roundTrip(input: EnvoyBootstrapInput): ProtoObject {
  const bytes = encodeMessage(BOOTSTRAP_TYPE, bootstrapObject(buildEnvoyBootstrap(input)));
  const violations = validateResourceBytes(BOOTSTRAP_TYPE, bytes, { reportUnknownAny: true });
  expect(formatViolations(violations)).toBe('');
  return decodeMessage(BOOTSTRAP_TYPE, bytes);
}

type Tree = Record<string, never> & { [key: string]: Tree };
const at = (object: ProtoObject, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node === undefined || node === null ? undefined : (node as Tree)[/^\d+$/.test(key) ? Number(key) : key],
      object,
    );

describe('buildEnvoyBootstrap', () => {
  it('gives a sidecar the Istio node id, node.cluster <app>.<ns>, metadata as a non-empty Struct, and its locality', () => {
    const decoded = roundTrip(SIDECAR);
    expect(at(decoded, 'node.id')).toBe('sidecar~10.0.1.20~helloworld-v1-0.default~default.svc.cluster.local');
    expect(at(decoded, 'node.cluster')).toBe('helloworld.default');
    expect(at(decoded, 'node.metadata.fields.CLUSTER_ID.stringValue')).toBe('cluster-a');
    expect(at(decoded, 'node.metadata.fields.NETWORK.stringValue')).toBe('net-a');
    expect(at(decoded, 'node.metadata.fields.NAMESPACE.stringValue')).toBe('default');
    expect(at(decoded, 'node.metadata.fields.SERVICE_ACCOUNT.stringValue')).toBe('helloworld');
    expect(at(decoded, 'node.metadata.fields.LABELS.structValue.fields.version.stringValue')).toBe('v1');
    expect(at(decoded, 'node.metadata.fields.ISTIO_VERSION.stringValue')).toMatch(/^1\.\d+/);
    expect(at(decoded, 'node.metadata.fields.ROUTER_MODE')).toBeUndefined();
    expect(at(decoded, 'node.locality')).toEqual({ region: 'cn', zone: 'shanghai-20', sub_zone: 'rack-1' });
  });

  it('takes everything else over ADS from the xds-grpc cluster: GRPC, V3, CDS and LDS from ADS', () => {
    const decoded = roundTrip(SIDECAR);
    expect(at(decoded, 'dynamic_resources.ads_config.api_type')).toBe('GRPC');
    expect(at(decoded, 'dynamic_resources.ads_config.transport_api_version')).toBe('V3');
    expect(at(decoded, 'dynamic_resources.ads_config.grpc_services.0.envoy_grpc.cluster_name')).toBe(XDS_ENVOY_CLUSTER);
    expect(at(decoded, 'dynamic_resources.ads_config.grpc_services.0.initial_metadata')).toBeUndefined();
    for (const source of ['cds_config', 'lds_config']) {
      expect(at(decoded, `dynamic_resources.${source}.ads`)).toEqual({});
      expect(at(decoded, `dynamic_resources.${source}.resource_api_version`)).toBe('V3');
    }
    expect(at(decoded, 'admin.address.socket_address')).toEqual({ address: '127.0.0.1', port_value: 15000 });
  });

  it('makes xds-grpc a STATIC HTTP/2 cluster to a plaintext IP, without a transport socket', () => {
    const cluster = at(roundTrip(SIDECAR), 'static_resources.clusters.0') as ProtoObject;
    expect(cluster['name']).toBe('xds-grpc');
    expect(cluster['type']).toBe('STATIC');
    expect(at(cluster, 'load_assignment.endpoints.0.lb_endpoints.0.endpoint.address.socket_address')).toEqual({
      address: '10.0.0.2',
      port_value: 15010,
    });
    const http = at(cluster, 'typed_extension_protocol_options') as Record<string, ProtoObject>;
    const options = http['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    expect(options?.['@type']).toBe('type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
    expect(at(options ?? {}, 'explicit_http_config.http2_protocol_options')).toEqual({});
    expect(cluster['transport_socket']).toBeUndefined();
  });

  it('gives a router ROUTER_MODE sni-dnat, REQUESTED_NETWORK_VIEW, and TLS to a named 15012 with the root file, SNI and a bearer token', () => {
    const decoded = roundTrip(ROUTER);
    expect(at(decoded, 'node.id')).toBe(
      'router~10.0.1.10~istio-eastwestgateway-0.istio-system~istio-system.svc.cluster.local',
    );
    expect(at(decoded, 'node.cluster')).toBe('istio-eastwestgateway.istio-system');
    expect(at(decoded, 'node.metadata.fields.ROUTER_MODE.stringValue')).toBe('sni-dnat');
    expect(at(decoded, 'node.metadata.fields.REQUESTED_NETWORK_VIEW.stringValue')).toBe('net-a');
    const cluster = at(decoded, 'static_resources.clusters.0') as ProtoObject;
    expect(cluster['type']).toBe('STRICT_DNS');
    const tls = at(cluster, 'transport_socket.typed_config') as ProtoObject;
    expect(tls['@type']).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    expect(at(tls, 'common_tls_context.validation_context.trusted_ca.filename')).toBe('/etc/meshpilot/root-cert.pem');
    expect(at(tls, 'sni')).toBe('meshpilot');
    expect(at(decoded, 'dynamic_resources.ads_config.grpc_services.0.initial_metadata')).toEqual([
      { key: 'authorization', value: 'Bearer sa-token' },
    ]);
  });

  it('lets an explicit node id and app win', () => {
    const decoded = roundTrip({ ...SIDECAR, nodeId: 'sidecar~1.2.3.4~x.y~y.svc.example.org', app: 'greeter' });
    expect(at(decoded, 'node.id')).toBe('sidecar~1.2.3.4~x.y~y.svc.example.org');
    expect(at(decoded, 'node.cluster')).toBe('greeter.default');
  });

  it('formats node ids with the domain suffix', () => {
    expect(
      istioProxyNodeId({
        proxyType: 'router',
        podIp: '::1',
        podName: 'gw',
        namespace: 'ns',
        domainSuffix: 'example.org',
      }),
    ).toBe('router~::1~gw.ns~ns.svc.example.org');
  });
});
