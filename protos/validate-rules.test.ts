import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, duration, encodeMessage, typed, type ProtoObject } from './any.ts';
import { lookupMessage } from './load.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, messageNameOf, ROUTE_TYPE, SECRET_TYPE } from './type-urls.ts';
import {
  formatViolations,
  validateMessage,
  validateResourceBytes,
  ValidationInputError,
  type RuleViolation,
} from './validate-rules.ts';
import {
  clusterLoadAssignment,
  edsCluster,
  FAULT_TYPE,
  httpConnectionManager,
  lbEndpoint,
  listener,
  routeConfiguration,
  secret,
} from './validate/test-resources.ts';

/** Encodes without protobufjs's verify, so out-of-range enum numbers reach the wire as a peer could send them. */
function encodeUnchecked(typeUrl: string, object: ProtoObject): Uint8Array {
  const type = lookupMessage(messageNameOf(typeUrl));
  return type.encode(type.fromObject(object)).finish();
}

/** Validates the plain object and its encoded bytes; both must agree, and the plain result is returned. */
function check(typeUrl: string, object: ProtoObject): RuleViolation[] {
  const fromObject = validateMessage(typeUrl, object);
  expect(validateResourceBytes(typeUrl, encodeUnchecked(typeUrl, object))).toEqual(fromObject);
  return fromObject;
}

function pathsAndRules(violations: readonly RuleViolation[]): string[] {
  return violations.map((violation) => `${violation.path} ${violation.rule}`);
}

function clusterWithEndpoints(weights: readonly number[]): ProtoObject {
  return {
    ...edsCluster(),
    type: 'STATIC',
    eds_cluster_config: undefined,
    load_assignment: {
      cluster_name: 'c',
      endpoints: [{ lb_endpoints: weights.map((weight, index) => lbEndpoint(`10.0.0.${index + 1}`, 80, weight)) }],
    },
  };
}

describe('validateMessage on realistic resources', () => {
  it.each([
    ['EDS cluster with TLS transport socket matches', CLUSTER_TYPE, edsCluster()],
    ['ClusterLoadAssignment with localities, weights and priorities', ENDPOINT_TYPE, clusterLoadAssignment()],
    ['Listener with an HttpConnectionManager using RDS', LISTENER_TYPE, listener()],
    ['RouteConfiguration with a fault filter override', ROUTE_TYPE, routeConfiguration()],
    ['SDS secret', SECRET_TYPE, secret()],
  ])('%s passes', (_name, typeUrl, object) => {
    expect(check(typeUrl, object)).toEqual([]);
    expect(validateResourceBytes(typeUrl, encodeMessage(typeUrl, object))).toEqual([]);
  });

  it('accepts the output of decodeMessage (enum names, 64-bit strings, Any as @type)', () => {
    const bad = {
      ...edsCluster(),
      name: '',
      connect_timeout: { seconds: -3 },
      lb_policy: 42,
      transport_socket_matches: [],
    };
    const decoded = decodeMessage(CLUSTER_TYPE, encodeUnchecked(CLUSTER_TYPE, bad));
    expect(pathsAndRules(validateMessage(CLUSTER_TYPE, decoded))).toEqual([
      'name string.min_len',
      'connect_timeout duration.gt',
      'lb_policy enum.defined_only',
    ]);
    const hcm = decodeMessage(
      LISTENER_TYPE,
      encodeMessage(LISTENER_TYPE, listener(httpConnectionManager({ stat_prefix: '' }))),
    );
    expect(pathsAndRules(validateMessage(LISTENER_TYPE, hcm))).toEqual([
      'filter_chains[0].filters[0].typed_config.stat_prefix string.min_len',
    ]);
  });

  it('accepts protobufjs message instances and full type names', () => {
    const type = lookupMessage('envoy.config.cluster.v3.Cluster');
    const instance = type.fromObject({ ...edsCluster(), name: '' });
    expect(pathsAndRules(validateMessage('envoy.config.cluster.v3.Cluster', instance))).toEqual([
      'name string.min_len',
    ]);
  });
});

describe('each rule family reports the exact path', () => {
  it('string.min_len: a Cluster with an empty name (a proto3 default is still checked)', () => {
    const { name: _name, ...withoutName } = edsCluster();
    const violations = check(CLUSTER_TYPE, withoutName);
    expect(violations).toEqual([
      { path: 'name', rule: 'string.min_len', message: 'value length must be at least 1 runes (got "")' },
    ]);
  });

  it('wrapper uint32.gte: an LbEndpoint with load_balancing_weight 0, on `.value`', () => {
    expect(pathsAndRules(check(CLUSTER_TYPE, clusterWithEndpoints([1, 0])))).toEqual([
      'load_assignment.endpoints[0].lb_endpoints[1].load_balancing_weight.value uint32.gte',
    ]);
  });

  it('an absent wrapper is not checked', () => {
    const assignment = clusterLoadAssignment();
    const endpoint = { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } };
    expect(check(ENDPOINT_TYPE, { ...assignment, endpoints: [{ lb_endpoints: [endpoint] }] })).toEqual([]);
  });

  it('string.min_len inside a socket address, and oneof.required on an empty Address', () => {
    const missingHost = { ...listener(), address: { socket_address: { port_value: 5000 } } };
    expect(pathsAndRules(check(LISTENER_TYPE, missingHost))).toEqual(['address.socket_address.address string.min_len']);
    const emptyAddress = { ...listener(), address: {} };
    expect(pathsAndRules(check(LISTENER_TYPE, emptyAddress))).toEqual(['address.address oneof.required']);
  });

  it('uint32.lte on a oneof member that is set', () => {
    const listenerObject = { ...listener(), address: { socket_address: { address: '0.0.0.0', port_value: 70000 } } };
    expect(check(LISTENER_TYPE, listenerObject)).toEqual([
      {
        path: 'address.socket_address.port_value',
        rule: 'uint32.lte',
        message: 'value must be less than or equal to 65535 (got 70000)',
      },
    ]);
  });

  it('enum.defined_only: an out-of-range enum number', () => {
    expect(pathsAndRules(check(CLUSTER_TYPE, { ...edsCluster(), lb_policy: 42 }))).toEqual([
      'lb_policy enum.defined_only',
    ]);
  });

  it('repeated.min_items and repeated.items.* with the item index', () => {
    const routes = routeConfiguration();
    const [host] = routes.virtual_hosts as ProtoObject[];
    const badHost = { ...host, domains: [], request_headers_to_remove: ['x-ok', '', 'bad\nname'] };
    expect(pathsAndRules(check(ROUTE_TYPE, { ...routes, virtual_hosts: [badHost] }))).toEqual([
      'virtual_hosts[0].domains repeated.min_items',
      'virtual_hosts[0].request_headers_to_remove[1] repeated.items.string.min_len',
      'virtual_hosts[0].request_headers_to_remove[2] repeated.items.string.well_known_regex',
    ]);
  });

  it('repeated.max_items', () => {
    const routes = {
      ...routeConfiguration(),
      request_headers_to_add: Array.from({ length: 1001 }, () => ({ header: { key: 'x-a', value: 'b' } })),
    };
    expect(pathsAndRules(check(ROUTE_TYPE, routes))).toEqual(['request_headers_to_add repeated.max_items']);
  });

  it('duration.gt: a negative or zero connect_timeout fails, an absent one passes', () => {
    expect(check(CLUSTER_TYPE, { ...edsCluster(), connect_timeout: { seconds: -1 } })).toEqual([
      { path: 'connect_timeout', rule: 'duration.gt', message: 'value must be greater than 0s (got -1s)' },
    ]);
    expect(pathsAndRules(check(CLUSTER_TYPE, { ...edsCluster(), connect_timeout: {} }))).toEqual([
      'connect_timeout duration.gt',
    ]);
    expect(check(CLUSTER_TYPE, { ...edsCluster(), connect_timeout: undefined })).toEqual([]);
    expect(pathsAndRules(check(CLUSTER_TYPE, { ...edsCluster(), dns_refresh_rate: duration(0.5) }))).toEqual([
      'dns_refresh_rate duration.gt',
    ]);
  });

  it('duration.required, message.required and oneof.required in a HealthCheck', () => {
    const cluster = { ...edsCluster(), health_checks: [{ interval: duration(5000), healthy_threshold: { value: 1 } }] };
    expect(pathsAndRules(check(CLUSTER_TYPE, cluster))).toEqual([
      'health_checks[0].health_checker oneof.required',
      'health_checks[0].timeout duration.required',
      'health_checks[0].unhealthy_threshold message.required',
    ]);
  });

  it('string.pattern on RouteMatch.path_separated_prefix', () => {
    const routes = routeConfiguration();
    const [host] = routes.virtual_hosts as ProtoObject[];
    const route = { match: { path_separated_prefix: '/api/' }, route: { cluster: 'c' } };
    expect(check(ROUTE_TYPE, { ...routes, virtual_hosts: [{ ...host, routes: [route] }] })).toEqual([
      {
        path: 'virtual_hosts[0].routes[0].match.path_separated_prefix',
        rule: 'string.pattern',
        message: 'value does not match regex pattern "^[^?#]+[^?#/]$" (got "/api/")',
      },
    ]);
  });

  it('well_known_regex: strict header names reject spaces, non-strict only NUL/CR/LF; ignore_empty skips ""', () => {
    const cluster = (sniHeader: string): ProtoObject => ({
      ...edsCluster(),
      upstream_http_protocol_options: { override_auto_sni_header: sniHeader },
    });
    expect(pathsAndRules(check(CLUSTER_TYPE, cluster('x sni')))).toEqual([
      'upstream_http_protocol_options.override_auto_sni_header string.well_known_regex',
    ]);
    expect(check(CLUSTER_TYPE, cluster(''))).toEqual([]);
    expect(check(CLUSTER_TYPE, cluster(':authority'))).toEqual([]);
    const headerAdd = (key: string): ProtoObject => ({
      ...routeConfiguration(),
      request_headers_to_add: [{ header: { key, value: 'v' } }],
    });
    expect(check(ROUTE_TYPE, headerAdd('x with space'))).toEqual([]);
    expect(pathsAndRules(check(ROUTE_TYPE, headerAdd('x-bad\r\n')))).toEqual([
      'request_headers_to_add[0].header.key string.well_known_regex',
    ]);
  });

  it('string.max_bytes counts UTF-8 bytes (UpstreamTlsContext.sni ≤ 255)', () => {
    const cluster = edsCluster();
    const tls = typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', { sni: 'é'.repeat(128) });
    const [match] = cluster.transport_socket_matches as ProtoObject[];
    const badMatch = { ...match, transport_socket: { name: 'tls', typed_config: tls } };
    expect(pathsAndRules(check(CLUSTER_TYPE, { ...cluster, transport_socket_matches: [badMatch] }))).toEqual([
      'transport_socket_matches[0].transport_socket.typed_config.sni string.max_bytes',
    ]);
  });

  it('double.gte on a DoubleValue wrapper', () => {
    const cluster = { ...edsCluster(), preconnect_policy: { per_upstream_preconnect_ratio: { value: 0.5 } } };
    expect(pathsAndRules(check(CLUSTER_TYPE, cluster))).toEqual([
      'preconnect_policy.per_upstream_preconnect_ratio.value double.gte',
    ]);
  });

  it('bool.const on a oneof member set to false', () => {
    const withFilter = { ...listener(), listener_filters: [{ name: 'f', filter_disabled: { any_match: false } }] };
    expect(pathsAndRules(check(LISTENER_TYPE, withFilter))).toEqual([
      'listener_filters[0].filter_disabled.any_match bool.const',
    ]);
  });

  it('any.required on TypedExtensionConfig.typed_config', () => {
    const cluster = {
      ...edsCluster(),
      lb_policy: undefined,
      load_balancing_policy: { policies: [{ typed_extension_config: { name: 'rr' } }] },
    };
    expect(pathsAndRules(check(CLUSTER_TYPE, cluster))).toEqual([
      'load_balancing_policy.policies[0].typed_extension_config.typed_config any.required',
    ]);
  });

  it('violations inside an Any are reported through the Any field', () => {
    expect(pathsAndRules(check(LISTENER_TYPE, listener(httpConnectionManager({ stat_prefix: '' }))))).toEqual([
      'filter_chains[0].filters[0].typed_config.stat_prefix string.min_len',
    ]);
    const noRoutes = httpConnectionManager({ rds: undefined });
    expect(pathsAndRules(check(LISTENER_TYPE, listener(noRoutes)))).toEqual([
      'filter_chains[0].filters[0].typed_config.route_specifier oneof.required',
    ]);
    const noConfigSource = httpConnectionManager({ rds: { route_config_name: '5000' } });
    expect(pathsAndRules(check(LISTENER_TYPE, listener(noConfigSource)))).toEqual([
      'filter_chains[0].filters[0].typed_config.rds.config_source message.required',
    ]);
  });

  it('a violation inside a map value (an Any in typed_per_filter_config) and on a map key', () => {
    const routes = routeConfiguration();
    const [host] = routes.virtual_hosts as ProtoObject[];
    const perFilter = {
      'envoy.filters.http.fault': typed(FAULT_TYPE, { abort: { http_status: 700 } }),
      other: typed(FAULT_TYPE, { abort: {} }),
    };
    expect(
      pathsAndRules(check(ROUTE_TYPE, { ...routes, virtual_hosts: [{ ...host, typed_per_filter_config: perFilter }] })),
    ).toEqual([
      'virtual_hosts[0].typed_per_filter_config["envoy.filters.http.fault"].abort.http_status uint32.lt',
      'virtual_hosts[0].typed_per_filter_config["other"].abort.error_type oneof.required',
    ]);
    const metadata = { filter_metadata: { '': { fields: {} } } };
    expect(pathsAndRules(check(CLUSTER_TYPE, { ...edsCluster(), metadata }))).toEqual([
      'metadata.filter_metadata[""] map.keys.string.min_len',
    ]);
  });

  it('several violations in one resource come out in field order, all of them', () => {
    const cluster = { ...clusterWithEndpoints([0]), name: '', connect_timeout: { seconds: -1 }, lb_policy: 99 };
    expect(pathsAndRules(check(CLUSTER_TYPE, cluster))).toEqual([
      'name string.min_len',
      'connect_timeout duration.gt',
      'lb_policy enum.defined_only',
      'load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight.value uint32.gte',
    ]);
  });
});

describe('Any whose content cannot be checked', () => {
  const unknownAny = {
    type_url: 'type.googleapis.com/example.NotLoaded',
    value: Buffer.from([8, 1]).toString('base64'),
  };
  const withSocket = (typedConfig: ProtoObject): ProtoObject => ({
    ...edsCluster(),
    transport_socket: { name: 't', typed_config: typedConfig },
  });

  it('skips an unknown type unless asked to report it', () => {
    expect(validateMessage(CLUSTER_TYPE, withSocket(unknownAny))).toEqual([]);
    expect(pathsAndRules(validateMessage(CLUSTER_TYPE, withSocket(unknownAny), { reportUnknownAny: true }))).toEqual([
      'transport_socket.typed_config any.known_type',
    ]);
  });

  it('reports packed bytes that do not decode as their type', () => {
    const broken = {
      type_url: `type.googleapis.com/${'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'}`,
      value: Buffer.from([0x0a, 0x05, 0x01]).toString('base64'),
    };
    expect(pathsAndRules(validateMessage(CLUSTER_TYPE, withSocket(broken)))).toEqual([
      'transport_socket.typed_config any.decode',
    ]);
  });
});

describe('bad input', () => {
  it('reports resource bytes that do not decode as one violation', () => {
    const violations = validateResourceBytes(CLUSTER_TYPE, Uint8Array.from([0x0a, 0x7f, 0x41]));
    expect(pathsAndRules(violations)).toEqual([' decode']);
    expect(formatViolations(violations)).toMatch(
      /^\(message\): cannot decode envoy\.config\.cluster\.v3\.Cluster: .+ \[decode\]$/,
    );
  });

  it('throws a coded error for an unknown type or a value of the wrong shape', () => {
    expect(() => validateMessage('envoy.config.cluster.v3.NoSuchThing', {})).toThrow(ValidationInputError);
    expect(() => validateMessage('envoy.config.cluster.v3.NoSuchThing', {})).toThrow(/no such message type/);
    expect(() => validateMessage(LISTENER_TYPE, { address: 'not-an-object' })).toThrow(/address: object expected/);
    expect(new ValidationInputError('x').code).toBe('MESHPILOT_ERR_VALIDATE_INPUT');
  });
});

describe('formatViolations', () => {
  it('writes one `<path>: <message> [<rule>]` line per violation', () => {
    const text = formatViolations(check(CLUSTER_TYPE, { ...clusterWithEndpoints([0]), name: '' }));
    expect(text.split('\n')).toEqual([
      'name: value length must be at least 1 runes (got "") [string.min_len]',
      'load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight.value: value must be greater than or equal to 1 (got 0) [uint32.gte]',
    ]);
    expect(formatViolations([])).toBe('');
  });
});

describe('properties', () => {
  it('an endpoint weight violates gte 1 exactly when it is 0, at its own index', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 6 }), (weights) => {
        const expected = weights.flatMap((weight, index) =>
          weight === 0
            ? [`load_assignment.endpoints[0].lb_endpoints[${index}].load_balancing_weight.value uint32.gte`]
            : [],
        );
        expect(pathsAndRules(check(CLUSTER_TYPE, clusterWithEndpoints(weights)))).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('a header name of token characters passes strict HTTP_HEADER_NAME; adding any other ASCII character fails it', () => {
    const tokenChars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+,-.^_|~`".split('');
    const otherAscii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).filter(
      (char) => !tokenChars.includes(char),
    );
    const cluster = (header: string): ProtoObject => ({
      ...edsCluster(),
      upstream_http_protocol_options: { override_auto_sni_header: header },
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...tokenChars), { minLength: 1, maxLength: 20 }).map((chars) => chars.join('')),
        fc.constantFrom(...otherAscii),
        fc.nat(20),
        (name, bad, at) => {
          expect(validateMessage(CLUSTER_TYPE, cluster(name))).toEqual([]);
          // A leading ':' is allowed (HTTP/2 pseudo-headers), anywhere else it is not.
          const position = Math.min(bad === ':' ? Math.max(at, 1) : at, name.length);
          const broken = `${name.slice(0, position)}${bad}${name.slice(position)}`;
          expect(pathsAndRules(validateMessage(CLUSTER_TYPE, cluster(broken)))).toEqual([
            'upstream_http_protocol_options.override_auto_sni_header string.well_known_regex',
          ]);
        },
      ),
      { numRuns: 80 },
    );
  });
});
