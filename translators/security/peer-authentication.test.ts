import { describe, expect, it } from 'vitest';
import { LISTENER_TYPE } from '../../protos/type-urls.ts';
import type { IstioConfig, MutualTlsMode, PeerAuthenticationSpec } from '../../model/istio/types.ts';
import { translateAll } from '../index.ts';
import { onTheWire } from '../test-support/golden.ts';
import { istioObject, withIstioConfig, withPodLabels } from '../test-support/istio-config.ts';
import { RICH_APP_IP, richSnapshot, richView } from '../test-support/rich-snapshot.ts';
import { workloadMtls } from './peer-authentication.ts';
import { workloadScope } from './workload-scope.ts';

const base = withPodLabels(richSnapshot(), RICH_APP_IP, { app: 'app', version: 'v1' });
const mode = (m: MutualTlsMode) => ({ mtls: { mode: m } });
const pa = (
  namespace: string,
  name: string,
  spec: PeerAuthenticationSpec,
  created?: string,
): IstioConfig<'PeerAuthentication'> => istioObject('PeerAuthentication', namespace, name, spec, created);

function mtlsOf(policies: IstioConfig<'PeerAuthentication'>[], view = richView()) {
  const snapshot = withIstioConfig(base, policies);
  const result = workloadMtls(snapshot.istioConfig.peerAuthentications, workloadScope(snapshot, view));
  return { mode: result.mode, ports: Object.fromEntries(result.ports) };
}

describe('PeerAuthentication composition (Istio ComposePeerAuthentication)', () => {
  it('is PERMISSIVE with no policy, and takes the mesh-wide one from the root namespace', () => {
    expect(mtlsOf([])).toEqual({ mode: 'PERMISSIVE', ports: {} });
    expect(mtlsOf([pa('istio-system', 'mesh', mode('STRICT'))])).toEqual({ mode: 'STRICT', ports: {} });
    expect(mtlsOf([pa('elsewhere', 'not-mine', mode('STRICT'))])).toEqual({ mode: 'PERMISSIVE', ports: {} });
  });

  it('lets namespace override mesh and a matching workload policy override both; UNSET inherits', () => {
    const mesh = pa('istio-system', 'mesh', mode('STRICT'));
    const ns = pa('default', 'ns', mode('DISABLE'));
    expect(mtlsOf([mesh, ns])).toEqual({ mode: 'DISABLE', ports: {} });
    expect(
      mtlsOf([mesh, ns, pa('default', 'wl', { selector: { matchLabels: { app: 'app' } }, ...mode('STRICT') })]).mode,
    ).toBe('STRICT');
    expect(
      mtlsOf([mesh, ns, pa('default', 'wl', { selector: { matchLabels: { app: 'other' } }, ...mode('STRICT') })]).mode,
    ).toBe('DISABLE');
    expect(mtlsOf([mesh, pa('default', 'ns', mode('UNSET'))]).mode).toBe('STRICT');
  });

  it('ignores selector policies in the root namespace, as Istio does', () => {
    expect(
      mtlsOf([pa('istio-system', 'sel', { selector: { matchLabels: { app: 'app' } }, ...mode('STRICT') })]).mode,
    ).toBe('PERMISSIVE');
  });

  it('keeps the oldest policy of a level', () => {
    const older = pa('default', 'b-older', mode('STRICT'), '2024-01-01T00:00:00Z');
    const newer = pa('default', 'a-newer', mode('DISABLE'), '2024-06-01T00:00:00Z');
    expect(mtlsOf([newer, older]).mode).toBe('STRICT');
  });

  it('applies portLevelMtls of the workload policy, UNSET ports inheriting the workload mode', () => {
    const wl = pa('default', 'wl', {
      selector: { matchLabels: { app: 'app' } },
      ...mode('STRICT'),
      portLevelMtls: { '3306': { mode: 'DISABLE' }, '9000': { mode: 'UNSET' } },
    });
    expect(mtlsOf([wl])).toEqual({ mode: 'STRICT', ports: { 3306: 'DISABLE', 9000: 'STRICT' } });
  });

  it('matches the selector against the pod in the proxy’s own kube cluster only', () => {
    const wl = pa('default', 'wl', { selector: { matchLabels: { app: 'app' } }, ...mode('STRICT') });
    expect(mtlsOf([wl], richView({ kubeCluster: 'west' })).mode).toBe('PERMISSIVE');
  });
});

type Chain = {
  name: string;
  filter_chain_match?: { destination_port?: { value: number }; transport_protocol?: string };
  transport_socket?: unknown;
};

function inboundChains(policies: IstioConfig<'PeerAuthentication'>[]): Chain[] {
  const snapshot = withIstioConfig(base, policies);
  const listener = translateAll(LISTENER_TYPE, snapshot, richView()).find((r) => r.name === 'virtualInbound')!;
  return (onTheWire(listener) as { filter_chains: Chain[] }).filter_chains;
}

describe('sidecar virtualInbound per PeerAuthentication mode', () => {
  const portChainNames = (chains: Chain[], port: number) =>
    chains.filter((c) => c.filter_chain_match?.destination_port?.value === port).map((c) => c.name);

  it('PERMISSIVE: Istio mTLS, the app’s own TLS and plaintext all reach the app', () => {
    expect(portChainNames(inboundChains([]), 8080)).toEqual([
      'inbound|8080||-mtls',
      'inbound|8080||-tls-passthrough',
      'inbound|8080||-plaintext',
    ]);
  });

  it('STRICT: TLS is terminated as mTLS, plaintext is refused on service ports and on passthrough ports', () => {
    const chains = inboundChains([pa('istio-system', 'mesh', mode('STRICT'))]);
    expect(portChainNames(chains, 8080)).toEqual(['inbound|8080||-mtls', 'inbound|8080||-plaintext-refused']);
    const mtls = chains.find((c) => c.name === 'inbound|8080||-mtls')!;
    expect(mtls.filter_chain_match).toEqual({ destination_port: { value: 8080 }, transport_protocol: 'tls' });
    expect(JSON.stringify(mtls.transport_socket)).toContain('"require_client_certificate":{"value":true}');
    expect(JSON.stringify(chains.find((c) => c.name === 'inbound|8080||-plaintext-refused'))).toContain(
      'BlackHoleCluster',
    );
    expect(chains.map((c) => c.name)).toContain('InboundPassthroughFilterChain-plaintext-refused');
  });

  it('DISABLE: one chain, nothing terminated; portLevelMtls mixes modes per port', () => {
    const wl = pa('default', 'wl', {
      selector: { matchLabels: { app: 'app' } },
      ...mode('DISABLE'),
      portLevelMtls: { '9000': { mode: 'STRICT' } },
    });
    const chains = inboundChains([wl]);
    expect(portChainNames(chains, 8080)).toEqual(['inbound|8080||-plaintext']);
    expect(chains.find((c) => c.name === 'inbound|8080||-plaintext')).not.toHaveProperty('transport_socket');
    expect(portChainNames(chains, 9000)).toEqual(['inbound|9000||-mtls', 'inbound|9000||-plaintext-refused']);
    expect(chains.map((c) => c.name)).not.toContain('InboundPassthroughFilterChain-mtls');
  });
});

describe('proxyless gRPC server listeners per PeerAuthentication mode', () => {
  function serverChain(policies: IstioConfig<'PeerAuthentication'>[], port: number) {
    const snapshot = withIstioConfig(base, policies);
    const listener = translateAll(LISTENER_TYPE, snapshot, richView({ generator: 'grpc' })).find(
      (r) => r.name === `xds.istio.io/grpc/lds/inbound/${RICH_APP_IP}:${port}`,
    )!;
    return (onTheWire(listener) as { filter_chains: Chain[] }).filter_chains;
  }

  it('STRICT: one chain with certificate-provider mTLS requiring a client certificate, no filter_chain_match', () => {
    const [chain, ...rest] = serverChain([pa('default', 'ns', mode('STRICT'))], 9000);
    expect(rest).toEqual([]);
    expect(chain).not.toHaveProperty('filter_chain_match');
    expect(chain!.transport_socket).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          tls_certificate_provider_instance: { instance_name: 'default', certificate_name: 'default' },
          validation_context: {
            ca_certificate_provider_instance: { instance_name: 'default', certificate_name: 'ROOTCA' },
          },
        },
        require_client_certificate: { value: true },
      },
    });
  });

  it('PERMISSIVE and DISABLE: plaintext (gRPC cannot sniff TLS)', () => {
    for (const m of ['PERMISSIVE', 'DISABLE'] as const) {
      const [chain] = serverChain([pa('default', 'ns', mode(m))], 9000);
      expect(chain).not.toHaveProperty('transport_socket');
      expect(chain!.name).toBe('inbound-plaintext');
    }
    const wl = pa('default', 'wl', {
      selector: { matchLabels: { app: 'app' } },
      ...mode('STRICT'),
      portLevelMtls: { '9000': { mode: 'PERMISSIVE' } },
    });
    expect(serverChain([wl], 9000)[0]).not.toHaveProperty('transport_socket');
    expect(serverChain([wl], 8080)[0]).toHaveProperty('transport_socket');
  });
});
