import { describe, expect, it } from 'vitest';
import { translationWarnings } from './config-store.ts';
import { accepted, errorsOf } from './validate-test-support.ts';

const CROSS_NETWORK = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cross-network-gateway, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    tls: {mode: AUTO_PASSTHROUGH}
    hosts: ["*.local"]
`;

const server = (extra: Record<string, unknown>) => ({
  port: { number: 443, name: 'https', protocol: 'HTTPS' },
  hosts: ['bookinfo/*.example.com'],
  tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert' },
  ...extra,
});

describe('Gateway validation', () => {
  it("accepts Istio's cross-network gateway (samples/multicluster/expose-services.yaml) and keeps what translators use", () => {
    const gateway = accepted(CROSS_NETWORK);
    expect(gateway.kind).toBe('Gateway');
    expect(gateway.spec).toEqual({
      selector: { istio: 'eastwestgateway' },
      servers: [
        {
          port: { number: 15443, name: 'tls', protocol: 'TLS' },
          tls: { mode: 'AUTO_PASSTHROUGH' },
          hosts: ['*.local'],
        },
      ],
    });
  });

  it('accepts the ingress shapes of Istio docs: HTTP with httpsRedirect, HTTPS SIMPLE by credentialName, TLS PASSTHROUGH, v1beta1 and v1alpha3', () => {
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
      const gateway = accepted(`
apiVersion: networking.istio.io/${version}
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: bookinfo}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["bookinfo.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["./bookinfo.example.com"]
    tls: {mode: SIMPLE, credentialName: bookinfo-cert, minProtocolVersion: TLSV1_2}
  - port: {number: 8443, name: tls-pass, protocol: TLS}
    hosts: ["*/db.example.com"]
    tls: {mode: PASSTHROUGH}
`);
      expect(gateway.kind === 'Gateway' && gateway.spec.servers.length).toBe(3);
    }
  });

  it("refuses what Istio's ValidateGateway refuses, naming the field", () => {
    expect(errorsOf('Gateway', { servers: [] })).toEqual(['spec.servers: gateway must have at least one server']);
    expect(errorsOf('Gateway', { servers: [server({ hosts: [] })] })).toEqual([
      'spec.servers[0].hosts: server config must contain at least one host',
    ]);
    expect(errorsOf('Gateway', { servers: [server({ tls: undefined })] })).toEqual([
      'spec.servers[0].tls: server must have TLS settings for HTTPS (HTTPS/TLS protocols)',
    ]);
    expect(
      errorsOf('Gateway', {
        servers: [server({ port: { number: 80, name: 'http', protocol: 'HTTP' }, tls: { mode: 'SIMPLE' } })],
      }),
    ).toContain('spec.servers[0].tls: server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)');
    expect(errorsOf('Gateway', { servers: [server({}), server({})] })).toEqual([
      'spec.servers[1].port.name: port names in servers must be unique: duplicate name https',
    ]);
    expect(errorsOf('Gateway', { servers: [server({ hosts: ['Bad_Host/x.com'] })] })[0]).toMatch(
      /^spec\.servers\[0\]\.hosts\[0\]: invalid namespace "Bad_Host"/,
    );
    expect(
      errorsOf('Gateway', { servers: [server({ port: { number: 443, name: 'h', protocol: 'QUIC' } })] })[0],
    ).toMatch(/^spec\.servers\[0\]\.port\.protocol: invalid protocol/);
    expect(errorsOf('Gateway', { servers: [server({ tls: { mode: 'SIMPLE' } })] })).toEqual([
      'spec.servers[0].tls.credentialName: TLS mode SIMPLE needs credentialName (a kube Secret holding the certificate)',
    ]);
    expect(errorsOf('Gateway', { servers: [server({ tls: { mode: 'ISTIO_MUTUAL', credentialName: 'c' } })] })).toEqual([
      'spec.servers[0].tls.credentialName: ISTIO_MUTUAL TLS cannot have associated credentialName',
    ]);
    expect(errorsOf('Gateway', { servers: [server({})] }, { name: 'with.dots', namespace: 'default' })).toEqual([
      'metadata.name: invalid gateway name "with.dots": expected a DNS label (no dots)',
    ]);
    expect(
      errorsOf('Gateway', { servers: [server({ tls: { mode: 'SIMPLE', serverCertificate: '/etc/cert.pem' } })] })[0],
    ).toMatch(
      /^spec\.servers\[0\]\.tls\.serverCertificate: .*not supported by meshpilot yet \(MESHPILOT_ERR_ISTIO_CONFIG_UNSUPPORTED\)/,
    );
  });

  it('says which servers meshpilot builds no listener for (ISTIO_MUTUAL), and none for the ingress servers it builds', () => {
    expect(translationWarnings(accepted(CROSS_NETWORK), {})).toEqual([]);
    const ingress = accepted(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: default}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, credentialName: cred}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 9000, name: mongo, protocol: MONGO}
    hosts: ["*"]
`);
    expect(translationWarnings(ingress, {})).toEqual([]);
    const gateway = accepted(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: default}
spec:
  servers:
  - port: {number: 9443, name: mesh-tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: ISTIO_MUTUAL}
`);
    expect(translationWarnings(gateway, {})).toEqual([
      'spec.servers[0]: not supported: tls.mode ISTIO_MUTUAL (the mesh certificate on a gateway port) on the TLS server on port 9443: meshpilot builds no listener for it (Istio does) [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]',
    ]);
  });
});
