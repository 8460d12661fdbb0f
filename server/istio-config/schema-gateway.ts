import { isIP } from 'node:net';
import { z } from 'zod';
import type { GatewayServer, GatewaySpec, ServerTlsSettings } from '../../model/istio/types.ts';
import {
  compact,
  isDnsLabel,
  issue,
  labels,
  PORT_PROTOCOLS,
  unsupported,
  wildcardDomainProblem,
  without,
} from './schema-common.ts';

// networking.istio.io/v1 Gateway; rules from Istio's ValidateGateway, validateServer, validateServerPort
// and validateTLSOptions (pkg/config/validation/validation.go).

const TLS_PROTOCOLS = new Set(['HTTPS', 'TLS']);
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

/** "namespace/dnsName" or a bare dnsName (Istio's ValidateNamespaceSlashWildcardHostname for gateways). */
export function gatewayHostProblem(host: string): string | undefined {
  const slash = host.indexOf('/');
  const namespace = slash === -1 ? undefined : host.slice(0, slash);
  const dnsName = slash === -1 ? host : host.slice(slash + 1);
  if (namespace !== undefined) {
    if (namespace === '' || dnsName === '') return `namespace and dnsName must not be empty in ${JSON.stringify(host)}`;
    if (namespace !== '*' && namespace !== '.' && !isDnsLabel(namespace))
      return `invalid namespace ${JSON.stringify(namespace)} in ${JSON.stringify(host)}: expected "*", "." or a namespace name`;
  }
  return dnsName === '*' ? undefined : wildcardDomainProblem(dnsName);
}

const serverTls = z
  .strictObject({
    httpsRedirect: z.boolean().optional(),
    mode: z.enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']).optional(),
    credentialName: z.string().min(1).optional(),
    subjectAltNames: z.array(z.string().min(1)).optional(),
    minProtocolVersion: z.enum(TLS_VERSIONS).optional(),
    maxProtocolVersion: z.enum(TLS_VERSIONS).optional(),
    cipherSuites: z.array(z.string().min(1)).optional(),
    // File-mounted certificates: meshpilot serves gateway certificates through SDS from credentialName only.
    serverCertificate: unsupported('tls.serverCertificate (file-mounted certificates; use credentialName)'),
    privateKey: unsupported('tls.privateKey (file-mounted certificates; use credentialName)'),
    caCertificates: unsupported('tls.caCertificates (file-mounted certificates; use credentialName)'),
    caCrl: unsupported('tls.caCrl'),
    credentialNames: unsupported('tls.credentialNames'),
    tlsCertificates: unsupported('tls.tlsCertificates'),
    verifyCertificateSpki: unsupported('tls.verifyCertificateSpki'),
    verifyCertificateHash: unsupported('tls.verifyCertificateHash'),
  })
  .superRefine((tls, ctx) => {
    if (tls.mode === 'ISTIO_MUTUAL' && tls.credentialName !== undefined)
      issue(ctx, ['credentialName'], 'ISTIO_MUTUAL TLS cannot have associated credentialName');
    if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL') && !tls.credentialName)
      issue(
        ctx,
        ['credentialName'],
        `TLS mode ${tls.mode} needs credentialName (a kube Secret holding the certificate)`,
      );
  })
  .transform((tls): ServerTlsSettings =>
    compact(
      without(tls, [
        'serverCertificate',
        'privateKey',
        'caCertificates',
        'caCrl',
        'credentialNames',
        'tlsCertificates',
        'verifyCertificateSpki',
        'verifyCertificateHash',
      ]),
    ),
  );

const serverPort = z.strictObject({
  number: z.number().int().min(1).max(65535),
  protocol: z
    .string()
    .refine(
      (p) => PORT_PROTOCOLS.has(p.toUpperCase()),
      `invalid protocol: supported protocols are ${[...PORT_PROTOCOLS].join(', ')}`,
    ),
  name: z.string().refine((name) => name !== '', 'port name must be set'),
  targetPort: unsupported('port.targetPort (it has no impact on Gateways)'),
});

const server = z
  .strictObject({
    port: serverPort,
    hosts: z.array(z.string()),
    tls: serverTls.optional(),
    bind: z.string().optional(),
    name: z.string().optional(),
    defaultEndpoint: unsupported('defaultEndpoint'),
  })
  .superRefine((s, ctx) => {
    if (s.hosts.length === 0) issue(ctx, ['hosts'], 'server config must contain at least one host');
    s.hosts.forEach((host, index) => {
      const problem = gatewayHostProblem(host);
      if (problem !== undefined) issue(ctx, ['hosts', index], problem);
    });
    if (s.bind !== undefined && s.bind !== '' && isIP(s.bind) === 0)
      issue(ctx, ['bind'], `expected an IP address, got ${JSON.stringify(s.bind)} (unix sockets are not supported)`);
    const protocol = s.port.protocol.toUpperCase();
    if (TLS_PROTOCOLS.has(protocol) && s.tls === undefined)
      issue(ctx, ['tls'], `server must have TLS settings for ${protocol} (HTTPS/TLS protocols)`);
    else if (!TLS_PROTOCOLS.has(protocol) && s.tls !== undefined) {
      const redirectOnly = HTTP_PROTOCOLS.has(protocol) && (s.tls.mode ?? 'PASSTHROUGH') === 'PASSTHROUGH';
      if (!redirectOnly)
        issue(
          ctx,
          ['tls'],
          HTTP_PROTOCOLS.has(protocol)
            ? 'server cannot have TLS settings for plain text HTTP ports (only httpsRedirect)'
            : 'server cannot have TLS settings for non HTTPS/TLS ports',
        );
    }
  })
  .transform((s): GatewayServer => {
    const { port, ...rest } = without(s, ['defaultEndpoint']);
    return compact({ ...rest, port: { number: port.number, protocol: port.protocol, name: port.name } });
  });

export const GatewaySchema = z
  .strictObject({
    selector: labels.optional(),
    servers: z.array(server),
  })
  .superRefine((gateway, ctx) => {
    if (gateway.servers.length === 0) issue(ctx, ['servers'], 'gateway must have at least one server');
    const names = new Set<string>();
    gateway.servers.forEach((s, index) => {
      if (names.has(s.port.name))
        issue(
          ctx,
          ['servers', index, 'port', 'name'],
          `port names in servers must be unique: duplicate name ${s.port.name}`,
        );
      names.add(s.port.name);
    });
  })
  .transform((gateway): GatewaySpec => compact(gateway));
