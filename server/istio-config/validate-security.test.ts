import { describe, expect, it } from 'vitest';
import { accepted, errorsOf } from './validate-test-support.ts';

describe('PeerAuthentication, AuthorizationPolicy and Telemetry validation', () => {
  it('accepts the examples of Istio docs', () => {
    const pa = accepted(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: finance, namespace: foo}
spec:
  selector: {matchLabels: {app: finance}}
  mtls: {mode: STRICT}
  portLevelMtls:
    8080: {mode: DISABLE}
`);
    expect(pa.spec).toEqual({
      selector: { matchLabels: { app: 'finance' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '8080': { mode: 'DISABLE' } },
    });

    const ap = accepted(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin, version: v1}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/default/sa/sleep"]}
    - source: {namespaces: ["dev"], ipBlocks: ["10.0.0.0/8"]}
    to:
    - operation: {methods: ["GET"], paths: ["/info*"], ports: ["8080"]}
    when:
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
`);
    expect(ap.spec).toMatchObject({
      action: 'ALLOW',
      rules: [
        {
          from: [
            { source: { principals: ['cluster.local/ns/default/sa/sleep'] } },
            { source: { namespaces: ['dev'] } },
          ],
        },
      ],
    });

    expect(
      accepted(
        '{apiVersion: security.istio.io/v1, kind: AuthorizationPolicy, metadata: {name: allow-nothing}, spec: {}}',
      ).spec,
    ).toEqual({ action: 'ALLOW' });
    expect(errorsOf('AuthorizationPolicy', { action: 'DENY', rules: [{}] })).toEqual([]);
    expect(
      errorsOf('AuthorizationPolicy', {
        action: 'AUDIT',
        rules: [{ to: [{ operation: { notPaths: ['/healthz'] } }] }],
      }),
    ).toEqual([]);

    const telemetry = accepted(`
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: REQUEST_COUNT, mode: CLIENT}
      tagOverrides:
        source_cluster: {value: "node.metadata['CLUSTER_ID']"}
        request_protocol: {operation: REMOVE}
  accessLogging: [{providers: [{name: envoy}]}]
`);
    expect(telemetry.spec).toEqual({
      metrics: [
        {
          providers: [{ name: 'prometheus' }],
          overrides: [
            {
              match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' },
              tagOverrides: {
                source_cluster: { operation: 'UPSERT', value: "node.metadata['CLUSTER_ID']" },
                request_protocol: { operation: 'REMOVE' },
              },
            },
          ],
        },
      ],
    });
  });

  it.each([
    [
      'PeerAuthentication',
      'port-level mTLS without a selector',
      { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } },
      'spec.portLevelMtls: needs a selector with matchLabels: mesh-wide and namespace-wide PeerAuthentications cannot set port-level mTLS',
    ],
    [
      'PeerAuthentication',
      'an unknown mode',
      { mtls: { mode: 'ON' } },
      'spec.mtls.mode: expected one of "UNSET", "DISABLE", "PERMISSIVE", "STRICT"; got "ON"',
    ],
    [
      'PeerAuthentication',
      'port 0',
      { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 0: { mode: 'STRICT' } } },
      'spec.portLevelMtls["0"]: expected a port number 1..65535 as key, got "0"',
    ],
    [
      'PeerAuthentication',
      'a wildcard selector',
      { selector: { matchLabels: { app: '*' } } },
      'spec.selector.matchLabels.app: invalid label value "*": letters, digits, "-", "_", ".", at most 63, starting and ending alphanumeric',
    ],
    [
      'AuthorizationPolicy',
      'DENY without rules',
      { action: 'DENY' },
      'spec.rules: a DENY policy without rules never matches; add an empty rule `{}` to deny every request',
    ],
    [
      'AuthorizationPolicy',
      'CUSTOM (not supported)',
      { action: 'CUSTOM', rules: [{}] },
      'spec.action: CUSTOM is not supported by meshpilot yet (MESHPILOT_ERR_ISTIO_CONFIG_UNSUPPORTED)',
    ],
    [
      'AuthorizationPolicy',
      'an empty source',
      { rules: [{ from: [{ source: {} }] }] },
      'spec.rules[0].from[0].source: must not be empty: set principals, namespaces, ipBlocks or their not- forms',
    ],
    [
      'AuthorizationPolicy',
      'an empty operation',
      { rules: [{ to: [{ operation: { methods: [] } }] }] },
      'spec.rules[0].to[0].operation: must not be empty: set hosts, ports, methods, paths or their not- forms',
    ],
    [
      'AuthorizationPolicy',
      'an empty from list',
      { rules: [{ from: [] }] },
      'spec.rules[0].from: if set, must not be empty',
    ],
    [
      'AuthorizationPolicy',
      'a bad IP block',
      { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] },
      'spec.rules[0].from[0].source.ipBlocks[0]: CIDR prefix length must be 0..32, got "10.0.0.0/33"',
    ],
    [
      'AuthorizationPolicy',
      'a port that is not a number',
      { rules: [{ to: [{ operation: { ports: ['http'] } }] }] },
      'spec.rules[0].to[0].operation.ports[0]: expected a port number 1..65535 (as a string), got "http"',
    ],
    [
      'AuthorizationPolicy',
      'an empty principal',
      { rules: [{ from: [{ source: { principals: [''] } }] }] },
      'spec.rules[0].from[0].source.principals[0]: empty value in principals',
    ],
    [
      'AuthorizationPolicy',
      'a condition without values',
      { rules: [{ when: [{ key: 'source.ip' }] }] },
      'spec.rules[0].when[0]: needs values or notValues for key source.ip',
    ],
    [
      'AuthorizationPolicy',
      'an unknown condition key',
      { rules: [{ when: [{ key: 'source.color', values: ['red'] }] }] },
      'spec.rules[0].when[0].key: unknown condition key "source.color"; expected e.g. source.ip, source.namespace, source.principal, request.headers[name], destination.port, connection.sni',
    ],
    [
      'AuthorizationPolicy',
      'an unknown action',
      { action: 'REJECT', rules: [{}] },
      'spec.action: expected one of "ALLOW", "DENY", "AUDIT", "CUSTOM"; got "REJECT"',
    ],
    [
      'Telemetry',
      'UPSERT without a value',
      { metrics: [{ overrides: [{ tagOverrides: { source_cluster: {} } }] }] },
      'spec.metrics[0].overrides[0].tagOverrides.source_cluster.value: required when operation is UPSERT (a CEL expression like "node.metadata[\'CLUSTER_ID\']")',
    ],
    [
      'Telemetry',
      'REMOVE with a value',
      { metrics: [{ overrides: [{ tagOverrides: { source_cluster: { operation: 'REMOVE', value: 'x' } } }] }] },
      'spec.metrics[0].overrides[0].tagOverrides.source_cluster.value: must not be set when operation is REMOVE',
    ],
    [
      'Telemetry',
      'an unknown metric',
      { metrics: [{ overrides: [{ match: { metric: 'REQUESTS' } }] }] },
      expect.stringMatching(/^spec\.metrics\[0\]\.overrides\[0\]\.match\.metric: expected one of "ALL_METRICS", /),
    ],
  ])('%s: rejects %s, naming the field', (kind, _what, spec, expected) => {
    expect(errorsOf(kind, spec)).toContainEqual(expected);
  });
});
