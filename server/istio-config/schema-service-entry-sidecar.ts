import { isIP } from 'node:net';
import { z } from 'zod';
import type { ServiceEntrySpec, SidecarSpec, WorkloadEntrySpec } from '../../model/istio/types.ts';
import {
  exportTo,
  ignored,
  ipOrCidr,
  isDnsLabel,
  issue,
  labels,
  port,
  PORT_PROTOCOLS,
  unsupported,
  wildcardDomainProblem,
  without,
} from './schema-common.ts';

// networking.istio.io/v1 ServiceEntry and Sidecar; rules from Istio's ValidateServiceEntry and ValidateSidecar.

const servicePort = z.strictObject({
  number: port,
  protocol: z
    .string()
    .refine((p) => PORT_PROTOCOLS.has(p.toUpperCase()), `expected one of ${[...PORT_PROTOCOLS].join(', ')}`)
    .optional(),
  name: z.string().min(1),
  targetPort: port.optional(),
});

export const workloadEntry = z.strictObject({
  address: z.string().min(1).optional(),
  ports: z.record(z.string(), port).optional(),
  labels: labels.optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: z.number().int().min(0).optional(),
  serviceAccount: z.string().optional(),
});

/**
 * networking.istio.io/v1 WorkloadEntry (Istio's ValidateWorkloadEntry): an address (IP, FQDN or unix://),
 * which may be left out only with a network (the workload is then reached through that network's gateway).
 */
export const WorkloadEntrySchema = workloadEntry
  .superRefine((we, ctx) => {
    if (we.address === undefined && (we.network ?? '') === '')
      issue(
        ctx,
        ['address'],
        'address is required (it may be left out only with a network, reached through its gateway)',
      );
    const address = we.address ?? '';
    if (address.startsWith('unix://')) {
      if (Object.keys(we.ports ?? {}).length > 0)
        issue(ctx, ['ports'], `unix endpoint ${address} must not include ports`);
    } else if (address !== '' && isIP(address) === 0 && !FQDN.test(address)) {
      issue(ctx, ['address'], `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`);
    }
  })
  .transform((we): WorkloadEntrySpec => we);

const FQDN =
  /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\.?$/;

export const ServiceEntrySchema = z
  .strictObject({
    hosts: z.array(z.string()).min(1),
    addresses: z.array(ipOrCidr).optional(),
    ports: z.array(servicePort).optional(),
    location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).default('MESH_EXTERNAL'),
    resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).default('NONE'),
    endpoints: z.array(workloadEntry).optional(),
    workloadSelector: z.strictObject({ labels: labels.default({}) }).optional(),
    exportTo: exportTo(true).optional(),
    subjectAltNames: z.array(z.string().min(1)).optional(),
  })
  .superRefine((se, ctx) => {
    se.hosts.forEach((host, index) => {
      if (host === '*') issue(ctx, ['hosts', index], 'the wildcard host "*" is not allowed in a ServiceEntry');
      else {
        const problem = wildcardDomainProblem(host);
        if (problem !== undefined) issue(ctx, ['hosts', index], problem);
      }
    });
    if (se.workloadSelector !== undefined && se.endpoints !== undefined)
      issue(ctx, [], 'only one of workloadSelector or endpoints is allowed');
    if ((se.addresses ?? []).some((a) => a.includes('/')) && se.resolution !== 'NONE' && se.resolution !== 'STATIC') {
      issue(ctx, ['addresses'], 'CIDR addresses are allowed only with resolution NONE or STATIC');
    }
    const names = new Set<string>();
    const numbers = new Set<number>();
    se.ports?.forEach((p, index) => {
      if (names.has(p.name)) issue(ctx, ['ports', index, 'name'], `duplicate port name ${JSON.stringify(p.name)}`);
      if (numbers.has(p.number)) issue(ctx, ['ports', index, 'number'], `duplicate port ${p.number}`);
      names.add(p.name);
      numbers.add(p.number);
    });
    const endpoints = se.endpoints ?? [];
    if (se.resolution === 'NONE' && endpoints.length > 0)
      issue(ctx, ['endpoints'], 'resolution NONE takes no endpoints');
    endpoints.forEach((endpoint, index) => {
      if (
        se.resolution === 'STATIC' &&
        (endpoint.address === undefined || isIP(endpoint.address) === 0) &&
        !endpoint.address?.startsWith('unix://')
      ) {
        issue(
          ctx,
          ['endpoints', index, 'address'],
          `resolution STATIC needs an IP address, got ${JSON.stringify(endpoint.address ?? '')}`,
        );
      }
      for (const name of Object.keys(endpoint.ports ?? {})) {
        if (!names.has(name))
          issue(
            ctx,
            ['endpoints', index, 'ports', name],
            `port ${JSON.stringify(name)} is not one of the ServiceEntry's port names`,
          );
      }
    });
    if (se.resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1)
      issue(
        ctx,
        ['endpoints'],
        `there must only be 0 or 1 endpoint for resolution DNS_ROUND_ROBIN, got ${endpoints.length}`,
      );
    if (se.resolution === 'DNS' || se.resolution === 'DNS_ROUND_ROBIN') {
      // Istio: each endpoint of a DNS ServiceEntry is an IP or an FQDN Envoy resolves (not a unix socket, not empty).
      endpoints.forEach((endpoint, index) => {
        const address = endpoint.address ?? '';
        if (isIP(address) === 0 && !FQDN.test(address))
          issue(
            ctx,
            ['endpoints', index, 'address'],
            `resolution ${se.resolution} needs an IP address or a hostname, got ${JSON.stringify(address)}`,
          );
      });
    }
    if ((se.resolution === 'DNS' || se.resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0) {
      se.hosts.forEach((host, index) => {
        if (host.startsWith('*'))
          issue(
            ctx,
            ['hosts', index],
            `resolution ${se.resolution} without endpoints needs hosts that resolve; wildcard ${JSON.stringify(host)} cannot`,
          );
      });
    }
  })
  .transform((se): ServiceEntrySpec => se);

/** "namespace/dnsName" of a Sidecar egress listener (Istio's validateNamespaceSlashWildcardHostname). */
function egressHostProblem(host: string): string | undefined {
  const slash = host.indexOf('/');
  if (slash === -1)
    return `expected "namespace/dnsName" (e.g. "./*", "istio-system/*", "*/reviews.default.svc.cluster.local"), got ${JSON.stringify(host)}`;
  const namespace = host.slice(0, slash);
  const dnsName = host.slice(slash + 1);
  if (namespace === '' || dnsName === '') return `namespace and dnsName must not be empty in ${JSON.stringify(host)}`;
  if (namespace !== '*' && namespace !== '.' && namespace !== '~' && !isDnsLabel(namespace))
    return `invalid namespace ${JSON.stringify(namespace)} in ${JSON.stringify(host)}: expected "*", ".", "~" or a namespace name`;
  if (dnsName !== '*' && !dnsName.includes('.'))
    return `short names are not allowed in ${JSON.stringify(host)}: use an FQDN like "reviews.default.svc.cluster.local"`;
  return wildcardDomainProblem(dnsName);
}

const egressListener = z.strictObject({
  port: z
    .strictObject({ number: port, protocol: z.string().optional(), name: z.string().optional(), targetPort: ignored })
    .transform((p) => without(p, ['targetPort']))
    .optional(),
  bind: z.string().optional(),
  captureMode: z.enum(['DEFAULT', 'IPTABLES', 'NONE']).optional(),
  hosts: z
    .array(
      z.string().superRefine((host, ctx) => {
        const problem = egressHostProblem(host);
        if (problem !== undefined) issue(ctx, [], problem);
      }),
    )
    .min(1),
});

export const SidecarSchema = z
  .strictObject({
    workloadSelector: z.strictObject({ labels: labels.default({}) }).optional(),
    egress: z.array(egressListener).optional(),
    ingress: unsupported('Sidecar ingress listeners'),
    outboundTrafficPolicy: z
      .strictObject({
        mode: z.enum(['REGISTRY_ONLY', 'ALLOW_ANY']),
        egressProxy: unsupported('outboundTrafficPolicy.egressProxy'),
      })
      .transform((o) => without(o, ['egressProxy']))
      .optional(),
    inboundConnectionPool: ignored,
  })
  .superRefine((sidecar, ctx) => {
    if ((sidecar.egress ?? []).length === 0 && sidecar.outboundTrafficPolicy === undefined)
      issue(ctx, [], 'empty Sidecar: set egress or outboundTrafficPolicy');
    sidecar.egress?.forEach((listener, index) => {
      if (listener.port === undefined && index !== (sidecar.egress?.length ?? 0) - 1) {
        issue(ctx, ['egress', index], 'the egress listener without a port (the catch-all) must be the last one');
      }
    });
  })
  .transform((sidecar): SidecarSpec => without(sidecar, ['ingress', 'inboundConnectionPool']));
