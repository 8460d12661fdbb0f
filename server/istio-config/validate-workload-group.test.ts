import { describe, expect, it } from 'vitest';
import { accepted, errorsOf } from './validate-test-support.ts';

describe('WorkloadGroup validation (Istio ValidateWorkloadGroup)', () => {
  it('accepts the example of Istio docs: metadata, a template without address, an HTTP readiness probe', () => {
    const config = accepted(`
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: reviews, namespace: bookinfo}
spec:
  metadata:
    labels: {app.kubernetes.io/name: reviews, app.kubernetes.io/version: "1.3.4"}
  template:
    ports: {grpc: 3550, http: 8080}
    serviceAccount: default
  probe:
    initialDelaySeconds: 5
    timeoutSeconds: 3
    periodSeconds: 4
    successThreshold: 3
    failureThreshold: 3
    httpGet: {path: /foo/bar, host: 127.0.0.1, port: 3100, scheme: HTTPS, httpHeaders: [{name: Lit-Header, value: Im-The-Best}]}
`);
    expect(config.kind).toBe('WorkloadGroup');
    expect(config.spec).toEqual({
      metadata: { labels: { 'app.kubernetes.io/name': 'reviews', 'app.kubernetes.io/version': '1.3.4' } },
      template: { ports: { grpc: 3550, http: 8080 }, serviceAccount: 'default' },
    });
  });

  it.each([
    ['a missing template', { metadata: { labels: { app: 'a' } } }, 'spec.template: template is required'],
    [
      'an invalid metadata label',
      { template: {}, metadata: { labels: { 'bad key!': 'a' } } },
      'spec.metadata.labels["bad key!"]: invalid label key "bad key!": expected [prefix/]name, name of letters, digits, "-", "_", "." (at most 63)',
    ],
    [
      'a probe without a method',
      { template: {}, probe: { periodSeconds: 3 } },
      'spec.probe: one of httpGet, tcpSocket or exec is required',
    ],
    [
      'a probe with two methods',
      { template: {}, probe: { tcpSocket: { port: 80 }, exec: { command: ['true'] } } },
      'spec.probe: only one health check method is allowed, got tcpSocket, exec',
    ],
    [
      'an exec probe without command',
      { template: {}, probe: { exec: {} } },
      'spec.probe.exec.command: exec.command is required',
    ],
    [
      'a negative period',
      { template: {}, probe: { periodSeconds: -1, tcpSocket: { port: 80 } } },
      'spec.probe.periodSeconds: must be >= 0, got -1',
    ],
    [
      'an HTTP probe port out of range',
      { template: {}, probe: { httpGet: { port: 70000 } } },
      'spec.probe.httpGet.port: must be <= 65535, got 70000',
    ],
    [
      'an invalid probe header name',
      { template: {}, probe: { httpGet: { port: 80, httpHeaders: [{ name: 'bad header', value: 'x' }] } } },
      'spec.probe.httpGet.httpHeaders[0].name: invalid HTTP header name "bad header"',
    ],
    [
      'a template field that is not a WorkloadEntry field',
      { template: { adress: '10.0.0.1' } },
      'spec.template.adress: unknown key "adress" (did you mean "address"?); expected one of: address, ports, labels, network, locality, weight, serviceAccount',
    ],
  ])('rejects %s, naming the field', (_what, spec, expected) => {
    expect(errorsOf('WorkloadGroup', spec)).toContainEqual(expected);
  });
});
