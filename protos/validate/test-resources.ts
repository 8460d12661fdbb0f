/**
 * Realistic Envoy resources shaped like istiod's output (see the seed talk's config dumps), as plain
 * objects in proto field naming, for the validator's tests. Each builder returns a fresh object.
 */
import { duration, typed, type ProtoObject } from '../any.ts';

const FQDN = 'helloworld.default.svc.cluster.local';
const ADS = { ads: {}, resource_api_version: 'V3' };
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

function socketAddress(address: string, port: number): ProtoObject {
  return { socket_address: { address, port_value: port } };
}

export function lbEndpoint(address: string, port: number, weight: number): ProtoObject {
  return { endpoint: { address: socketAddress(address, port) }, load_balancing_weight: { value: weight } };
}

export function clusterLoadAssignment(): ProtoObject {
  return {
    cluster_name: `outbound|5000||${FQDN}`,
    endpoints: [
      {
        locality: { region: 'us-east1', zone: 'us-east1-b' },
        lb_endpoints: [lbEndpoint('10.20.1.7', 5000, 1), lbEndpoint('10.20.1.8', 5000, 1)],
        load_balancing_weight: { value: 2 },
        priority: 0,
      },
      {
        locality: { region: 'us-west1', zone: 'us-west1-a' },
        lb_endpoints: [lbEndpoint('10.64.31.211', 15443, 3)],
        load_balancing_weight: { value: 3 },
        priority: 1,
      },
    ],
  };
}

function upstreamTls(sni: string): ProtoObject {
  return typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
    sni,
    common_tls_context: {
      alpn_protocols: ['istio-peer-exchange', 'istio'],
      tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: ADS }],
      combined_validation_context: {
        default_validation_context: {
          match_subject_alt_names: [{ exact: 'spiffe://cluster.local/ns/default/sa/helloworld' }],
        },
        validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: ADS },
      },
    },
  });
}

export function edsCluster(): ProtoObject {
  return {
    name: `outbound|5000||${FQDN}`,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS, service_name: `outbound|5000||${FQDN}` },
    connect_timeout: duration(10_000),
    lb_policy: 'LEAST_REQUEST',
    circuit_breakers: { thresholds: [{ max_connections: { value: 4294967295 }, max_retries: { value: 4294967295 } }] },
    common_lb_config: { locality_weighted_lb_config: {} },
    metadata: { filter_metadata: { istio: { fields: { services: { string_value: FQDN } } } } },
    transport_socket_matches: [
      {
        name: 'tlsMode-istio',
        match: { fields: { tlsMode: { string_value: 'istio' } } },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: upstreamTls(`outbound_.5000_._.${FQDN}`),
        },
      },
      {
        name: 'tlsMode-disabled',
        transport_socket: {
          name: 'envoy.transport_sockets.raw_buffer',
          typed_config: typed('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
        },
      },
    ],
  };
}

export function httpConnectionManager(overrides: ProtoObject = {}): ProtoObject {
  return {
    stat_prefix: 'outbound_0.0.0.0_5000',
    rds: { route_config_name: '5000', config_source: ADS },
    http_filters: [
      { name: 'envoy.filters.http.fault', typed_config: typed(FAULT_TYPE, {}) },
      { name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router', {}) },
    ],
    ...overrides,
  };
}

export function listener(hcm: ProtoObject = httpConnectionManager()): ProtoObject {
  return {
    name: '0.0.0.0_5000',
    address: socketAddress('0.0.0.0', 5000),
    traffic_direction: 'OUTBOUND',
    listener_filters: [
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: typed('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}),
      },
    ],
    filter_chains: [
      {
        filter_chain_match: { destination_port: { value: 5000 }, application_protocols: ['http/1.1', 'h2c'] },
        filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: typed(HCM_TYPE, hcm) }],
      },
    ],
  };
}

export function routeConfiguration(): ProtoObject {
  return {
    name: '5000',
    validate_clusters: { value: false },
    virtual_hosts: [
      {
        name: `${FQDN}:5000`,
        domains: [FQDN, 'helloworld', 'helloworld.default', '10.96.0.12:5000'],
        request_headers_to_remove: ['x-envoy-peer-metadata'],
        typed_per_filter_config: {
          'envoy.filters.http.fault': typed(FAULT_TYPE, {
            abort: { http_status: 503, percentage: { numerator: 10, denominator: 'HUNDRED' } },
          }),
        },
        routes: [
          {
            name: 'default',
            match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'true' } }] },
            route: {
              cluster: `outbound|5000|v2|${FQDN}`,
              timeout: duration(0),
              retry_policy: { retry_on: 'connect-failure,refused-stream', num_retries: { value: 2 } },
            },
          },
        ],
      },
    ],
  };
}

export function secret(): ProtoObject {
  return {
    name: 'default',
    tls_certificate: {
      certificate_chain: { inline_bytes: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') },
      private_key: { inline_bytes: Buffer.from('not a real key').toString('base64') },
    },
  };
}
