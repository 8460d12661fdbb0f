import { describe, expect, it } from 'vitest';
import { accepted, errorsOf } from './validate-test-support.ts';

const route = (host = 'reviews', extra: Record<string, unknown> = {}) => ({ destination: { host }, ...extra });
const vs = (http: unknown[], extra: Record<string, unknown> = {}) => ({ hosts: ['reviews'], http, ...extra });

describe('VirtualService validation', () => {
  it('accepts the examples of Istio docs, with durations in milliseconds and matches as one-of unions', () => {
    const config = accepted(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - headers: {end-user: {exact: jason}}
    - uri: {prefix: /wpcatalog}
      method: {exact: GET}
      port: 9080
      sourceLabels: {app: productpage}
    route:
    - destination: {host: reviews, subset: v2}
  - fault:
      delay: {fixedDelay: 7s, percentage: {value: 0.1}}
      abort: {httpStatus: 500, percentage: {value: 100}}
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,refused-stream,503"}
    timeout: 1.5s
    route:
    - destination: {host: reviews, subset: v1, port: {number: 9080}}
      weight: 75
    - destination: {host: reviews, subset: v3}
      weight: 25
  tcp:
  - match: [{port: 27017}]
    route: [{destination: {host: mongo.backup.svc.cluster.local, port: {number: 5555}}}]
`);
    expect(config.kind).toBe('VirtualService');
    expect(config.meta).toMatchObject({
      namespace: 'bookinfo',
      name: 'reviews',
      resourceVersion: 'v1',
      origin: { type: 'file', path: '/test/config.yaml' },
    });
    if (config.kind !== 'VirtualService') return;
    const [jason, weighted] = config.spec.http ?? [];
    expect(jason?.match?.[0]?.headers).toEqual({ 'end-user': { exact: 'jason' } });
    expect(jason?.match?.[1]).toEqual({
      uri: { prefix: '/wpcatalog' },
      method: { exact: 'GET' },
      port: 9080,
      sourceLabels: { app: 'productpage' },
    });
    expect(weighted).toMatchObject({
      timeout: 1500,
      retries: { attempts: 3, perTryTimeout: 2000 },
      fault: { delay: { fixedDelay: 7000, percentage: { value: 0.1 } }, abort: { httpStatus: 500 } },
      route: [{ weight: 75 }, { weight: 25 }],
    });
    expect(config.spec.tcp?.[0]?.route[0]?.destination.port).toEqual({ number: 5555 });
  });

  it('accepts several destinations with every weight omitted (equal split), gRPC aborts and timeout 0s', () => {
    expect(
      errorsOf(
        'VirtualService',
        vs([{ route: [route('a'), route('b')], timeout: '0s', fault: { abort: { grpcStatus: 'UNAVAILABLE' } } }]),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'weights that do not sum to 100',
      vs([{ route: [route('a', { weight: 90 }), route('b', { weight: 20 })] }]),
      'spec.http[0].route: the weights of the 2 destinations sum to 110, expected 100 (or omit every weight for an equal split)',
    ],
    [
      'a weight above 100',
      vs([{ route: [route('a', { weight: 150 })] }]),
      'spec.http[0].route[0].weight: must be <= 100, got 150',
    ],
    [
      'no hosts',
      { http: [{ route: [route()] }] },
      'spec.hosts: at least one host is required (delegate VirtualServices are not supported)',
    ],
    [
      'the wildcard host for the mesh',
      vs([{ route: [route()] }], { hosts: ['*'] }),
      'spec.hosts[0]: the wildcard host "*" is not allowed for VirtualServices bound to the mesh gateway',
    ],
    [
      'a host with a wildcard in the middle',
      vs([{ route: [route()] }], { hosts: ['reviews.*.svc'] }),
      'spec.hosts[0]: domain name "reviews.*.svc" is invalid: label "*" is not a lowercase DNS-1123 label (a wildcard is allowed only in the first label)',
    ],
    ['duplicate hosts', vs([{ route: [route()] }], { hosts: ['a', 'a'] }), 'spec.hosts[1]: duplicate host "a"'],
    ['no routes at all', { hosts: ['a'] }, 'spec: needs at least one http, tcp or tls route'],
    [
      'an http rule without destinations',
      vs([{ match: [{ uri: { exact: '/' } }] }]),
      'spec.http[0].route: at least one destination is required',
    ],
    [
      'a regex that does not compile',
      vs([{ match: [{ uri: { regex: '(unclosed' } }], route: [route()] }]),
      'spec.http[0].match[0].uri.regex: regex "(unclosed" does not compile: Invalid regular expression: /(unclosed/: Unterminated group',
    ],
    [
      'a lookbehind regex (not RE2)',
      vs([{ match: [{ headers: { x: { regex: '(?<=a)b' } } }], route: [route()] }]),
      'spec.http[0].match[0].headers.x.regex: regex "(?<=a)b" uses lookahead or lookbehind, which RE2 (Envoy\'s regex engine) does not support',
    ],
    [
      'a string match with two kinds',
      vs([{ match: [{ uri: { exact: '/a', prefix: '/b' } }], route: [route()] }]),
      'spec.http[0].match[0].uri: needs exactly one of "exact", "prefix" or "regex", got "exact" and "prefix"',
    ],
    [
      'a lower-case method',
      vs([{ match: [{ method: { exact: 'get' } }], route: [route()] }]),
      'spec.http[0].match[0].method.exact: expected an upper-case HTTP method like "GET", got "get"',
    ],
    [
      'a bad duration',
      vs([{ route: [route()], timeout: '10 seconds' }]),
      'spec.http[0].timeout: expected a duration like "1.5s", "100ms", "5m" or "1h", got "10 seconds"',
    ],
    [
      'a sub-millisecond duration',
      vs([{ route: [route()], retries: { attempts: 1, perTryTimeout: '1500us' } }]),
      'spec.http[0].retries.perTryTimeout: only millisecond precision is supported, got "1500us" (1.5ms)',
    ],
    [
      'retry settings with 0 attempts',
      vs([{ route: [route()], retries: { attempts: 0, retryOn: '5xx' } }]),
      'spec.http[0].retries.attempts: is 0 (retries disabled) but perTryTimeout or retryOn is set; set attempts > 0 or remove them',
    ],
    [
      'an unknown retry policy',
      vs([{ route: [route()], retries: { attempts: 2, retryOn: '5xx,sometimes' } }]),
      expect.stringMatching(
        /^spec\.http\[0\]\.retries\.retryOn: "sometimes" is not a retry policy; expected HTTP status codes or 5xx, /,
      ),
    ],
    [
      'a fault percentage above 100',
      vs([{ route: [route()], fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }]),
      'spec.http[0].fault.delay.percentage.value: must be <= 100, got 101',
    ],
    [
      'an empty fault',
      vs([{ route: [route()], fault: {} }]),
      'spec.http[0].fault: fault injection needs an abort and/or a delay',
    ],
    [
      'an abort with both statuses',
      vs([{ route: [route()], fault: { abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE' } } }]),
      'spec.http[0].fault.abort: needs exactly one of "httpStatus" or "grpcStatus", got both',
    ],
    [
      'an HTTP status out of range',
      vs([{ route: [route()], fault: { abort: { httpStatus: 99 } } }]),
      'spec.http[0].fault.abort.httpStatus: must be >= 200, got 99',
    ],
    [
      'the destination host "*"',
      vs([{ route: [route('*')] }]),
      'spec.http[0].route[0].destination.host: the destination host cannot be "*"',
    ],
    [
      'a subset name that is not a DNS label',
      vs([{ route: [{ destination: { host: 'a', subset: 'V1_x' } }] }]),
      'spec.http[0].route[0].destination.subset: expected a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters',
    ],
    [
      'a port out of range',
      vs([{ route: [{ destination: { host: 'a', port: { number: 70000 } } }] }]),
      'spec.http[0].route[0].destination.port.number: must be <= 65535, got 70000',
    ],
    [
      'a misspelled field',
      vs([{ route: [route()], timout: '1s' }]),
      expect.stringMatching(/^spec\.http\[0\]\.timout: unknown key "timout" \(did you mean "timeout"\?\)/),
    ],
    [
      'a rewrite (not supported yet)',
      vs([{ route: [route()], rewrite: { uri: '/' } }]),
      'spec.http[0].rewrite: rewrite is not supported by meshpilot yet (MESHPILOT_ERR_ISTIO_CONFIG_UNSUPPORTED)',
    ],
    [
      'tcp weights that do not sum to 100',
      { hosts: ['a'], tcp: [{ route: [route('a', { weight: 10 }), route('b', { weight: 10 })] }] },
      'spec.tcp[0].route: the weights of the 2 destinations sum to 20, expected 100 (or omit every weight for an equal split)',
    ],
    [
      'a tls route without sniHosts',
      { hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [{ port: 443 }], route: [route('a')] }] },
      expect.stringMatching(/^spec\.tls\[0\]\.match\[0\]\.sniHosts: /),
    ],
    [
      'a tls route without a match',
      { hosts: ['a.example.com'], gateways: ['gw'], tls: [{ route: [route('a')] }] },
      expect.stringMatching(/^spec\.tls\[0\]\.match: /),
    ],
  ])('rejects %s, naming the field', (_what, spec, expected) => {
    expect(errorsOf('VirtualService', spec)).toContainEqual(expected);
  });

  it('accepts tls routes (TLS passthrough by SNI at a Gateway), alone', () => {
    const config = accepted(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: demo}
spec:
  hosts: [db.example.com]
  gateways: [istio-system/passthrough]
  tls:
  - match: [{sniHosts: [db.example.com], port: 443}]
    route: [{destination: {host: db.demo.svc.cluster.local, port: {number: 5432}}}]
`);
    expect(config.spec).toMatchObject({
      tls: [
        {
          match: [{ sniHosts: ['db.example.com'], port: 443 }],
          route: [{ destination: { host: 'db.demo.svc.cluster.local' } }],
        },
      ],
    });
  });

  it('checks apiVersion and metadata too', () => {
    expect(errorsOf('VirtualService', vs([{ route: [route()] }]), { name: 'Bad_Name' })).toEqual([
      'metadata.name: expected a lowercase DNS name like "reviews-route", got "Bad_Name"',
    ]);
  });
});
