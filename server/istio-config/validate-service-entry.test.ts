import { describe, expect, it } from 'vitest';
import { accepted, errorsOf } from './validate-test-support.ts';

const ports = [{ number: 443, name: 'tls', protocol: 'TLS' }];

describe('ServiceEntry validation of resolutions (Istio ValidateServiceEntry)', () => {
  it('accepts DNS with hostname endpoints, DNS_ROUND_ROBIN with one, NONE with a CIDR', () => {
    for (const spec of [
      {
        hosts: ['db.example.internal'],
        resolution: 'DNS',
        ports,
        endpoints: [{ address: 'db-a.example.internal' }, { address: '10.0.0.1' }],
      },
      { hosts: ['rr.example.com'], resolution: 'DNS_ROUND_ROBIN', ports, endpoints: [{ address: 'lb.example.com' }] },
      { hosts: ['legacy.example.internal'], addresses: ['240.0.1.0/24'], resolution: 'NONE', ports },
    ]) {
      expect(errorsOf('ServiceEntry', spec)).toEqual([]);
    }
    expect(
      accepted(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: demo}
spec: {hosts: [api.example.com], resolution: DNS, ports: [{number: 443, name: https, protocol: TLS}]}
`).spec,
    ).toMatchObject({ resolution: 'DNS', location: 'MESH_EXTERNAL' });
  });

  it.each([
    [
      'DNS_ROUND_ROBIN with two endpoints',
      {
        hosts: ['rr.example.com'],
        resolution: 'DNS_ROUND_ROBIN',
        ports,
        endpoints: [{ address: 'a.example.com' }, { address: 'b.example.com' }],
      },
      'spec.endpoints: there must only be 0 or 1 endpoint for resolution DNS_ROUND_ROBIN, got 2',
    ],
    [
      'a DNS endpoint without address',
      { hosts: ['db.example.internal'], resolution: 'DNS', ports, endpoints: [{ network: 'n1' }] },
      'spec.endpoints[0].address: resolution DNS needs an IP address or a hostname, got ""',
    ],
    [
      'a DNS endpoint on a unix socket',
      { hosts: ['db.example.internal'], resolution: 'DNS', ports, endpoints: [{ address: 'unix:///var/run/db.sock' }] },
      'spec.endpoints[0].address: resolution DNS needs an IP address or a hostname, got "unix:///var/run/db.sock"',
    ],
    [
      'a DNS ServiceEntry without endpoints whose host cannot resolve',
      { hosts: ['*.example.com'], resolution: 'DNS', ports },
      'spec.hosts[0]: resolution DNS without endpoints needs hosts that resolve; wildcard "*.example.com" cannot',
    ],
    [
      'NONE with endpoints',
      { hosts: ['legacy.example.internal'], resolution: 'NONE', ports, endpoints: [{ address: '10.0.0.1' }] },
      'spec.endpoints: resolution NONE takes no endpoints',
    ],
    [
      'a CIDR with DNS',
      { hosts: ['db.example.internal'], addresses: ['240.0.0.0/24'], resolution: 'DNS', ports },
      'spec.addresses: CIDR addresses are allowed only with resolution NONE or STATIC',
    ],
    [
      'an exportTo of "~" with a namespace',
      { hosts: ['db.example.internal'], resolution: 'DNS', ports, exportTo: ['~', 'demo'] },
      'spec.exportTo: "*" and "~" cannot be combined with other entries',
    ],
    [
      'an exportTo that is not a namespace name',
      { hosts: ['db.example.internal'], resolution: 'DNS', ports, exportTo: ['Not_A_Namespace'] },
      'spec.exportTo[0]: expected ".", "*", "~" or a namespace name, got "Not_A_Namespace"',
    ],
  ])('rejects %s, naming the field', (_what, spec, expected) => {
    expect(errorsOf('ServiceEntry', spec)).toContainEqual(expected);
  });
});
