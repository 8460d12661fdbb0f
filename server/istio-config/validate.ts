import type { z } from 'zod';
import type { AnyIstioConfig, ConfigMeta, ConfigOrigin, IstioKind, IstioSpecs } from '../../model/istio/types.ts';
import { formatConfigPath } from '../config/config-error.ts';
import { issuesFromZod } from '../config/zod-issues.ts';
import { isDnsLabel } from './schema-common.ts';
import { DestinationRuleSchema } from './schema-destination-rule.ts';
import { GatewaySchema } from './schema-gateway.ts';
import { AuthorizationPolicySchema, PeerAuthenticationSchema } from './schema-security.ts';
import { ServiceEntrySchema, SidecarSchema, WorkloadEntrySchema } from './schema-service-entry-sidecar.ts';
import { TelemetrySchema } from './schema-telemetry.ts';
import { WorkloadGroupSchema } from './schema-workload-group.ts';
import { VirtualServiceSchema } from './schema-virtual-service.ts';

/** Why something is invalid, not just that it is (grpc-js-xds's shape; STYLE.md). */
export type ValidationResult<T> = { valid: true; result: T } | { valid: false; errors: string[] };

const GROUP_OF: Readonly<Record<IstioKind, string>> = {
  VirtualService: 'networking.istio.io',
  DestinationRule: 'networking.istio.io',
  ServiceEntry: 'networking.istio.io',
  WorkloadEntry: 'networking.istio.io',
  Sidecar: 'networking.istio.io',
  PeerAuthentication: 'security.istio.io',
  AuthorizationPolicy: 'security.istio.io',
  Telemetry: 'telemetry.istio.io',
  Gateway: 'networking.istio.io',
  WorkloadGroup: 'networking.istio.io',
};

/** API versions meshpilot reads; the older ones have the same spec as v1 for the fields used here. */
const VERSIONS_OF_GROUP: Readonly<Record<string, readonly string[]>> = {
  'networking.istio.io': ['v1', 'v1beta1', 'v1alpha3'],
  'security.istio.io': ['v1', 'v1beta1'],
  'telemetry.istio.io': ['v1', 'v1alpha1'],
};

type SpecSchemas = { readonly [K in IstioKind]: z.ZodType<IstioSpecs[K], unknown> };

const SPEC_SCHEMAS: SpecSchemas = {
  VirtualService: VirtualServiceSchema,
  DestinationRule: DestinationRuleSchema,
  ServiceEntry: ServiceEntrySchema,
  WorkloadEntry: WorkloadEntrySchema,
  Sidecar: SidecarSchema,
  PeerAuthentication: PeerAuthenticationSchema,
  AuthorizationPolicy: AuthorizationPolicySchema,
  Telemetry: TelemetrySchema,
  Gateway: GatewaySchema,
  WorkloadGroup: WorkloadGroupSchema,
};

function isIstioKind(kind: string): kind is IstioKind {
  return Object.hasOwn(GROUP_OF, kind);
}

/** The Istio kind of a manifest or API object, or undefined for anything else (Services, Gateways...). */
export function istioKindOf(apiVersion: unknown, kind: unknown): IstioKind | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !isIstioKind(kind)) return undefined;
  return apiVersion.split('/')[0] === GROUP_OF[kind] ? kind : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asRecord(value) ?? {})) if (typeof entry === 'string') out[key] = entry;
  return out;
}

function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every(isDnsLabel);
}

function metaOf(
  object: Record<string, unknown>,
  origin: ConfigOrigin,
  fallbackVersion: string,
  errors: string[],
): ConfigMeta {
  const metadata = asRecord(object['metadata']) ?? {};
  const name = metadata['name'];
  const namespace = metadata['namespace'] ?? 'default';
  if (typeof name !== 'string' || !isDnsSubdomain(name))
    errors.push(
      `metadata.name: expected a lowercase DNS name like "reviews-route", got ${JSON.stringify(name ?? null)}`,
    );
  if (typeof namespace !== 'string' || !isDnsLabel(namespace))
    errors.push(`metadata.namespace: expected a namespace name like "default", got ${JSON.stringify(namespace)}`);
  const resourceVersion = metadata['resourceVersion'];
  const generation = metadata['generation'];
  const created = metadata['creationTimestamp'];
  return {
    namespace: typeof namespace === 'string' ? namespace : '',
    name: typeof name === 'string' ? name : '',
    resourceVersion: typeof resourceVersion === 'string' && resourceVersion !== '' ? resourceVersion : fallbackVersion,
    ...(typeof generation === 'number' ? { generation } : {}),
    ...(typeof created === 'string' ? { creationTimestamp: created } : {}),
    labels: stringMap(metadata['labels']),
    annotations: stringMap(metadata['annotations']),
    origin,
  };
}

/**
 * Validates one Istio object (as read from a manifest or an API server) on its own, with Istio's
 * rules. Errors name the field: `spec.http[0].route[1].weight: must be <= 100, got 150`.
 * `fallbackVersion` is the version to record when the object has no metadata.resourceVersion
 * (manifest files: a content hash). Pure.
 */
export function validateIstioObject(
  raw: unknown,
  origin: ConfigOrigin,
  fallbackVersion = '',
): ValidationResult<AnyIstioConfig> {
  const object = asRecord(raw);
  if (object === undefined) return { valid: false, errors: ['(object): expected a Kubernetes object (a mapping)'] };
  const { apiVersion, kind } = object;
  const istioKind = istioKindOf(apiVersion, kind);
  if (istioKind === undefined)
    return {
      valid: false,
      errors: [`kind: ${JSON.stringify(kind)} of ${JSON.stringify(apiVersion)} is not an Istio kind meshpilot reads`],
    };
  const [group, version] = String(apiVersion).split('/');
  const errors: string[] = [];
  const versions = VERSIONS_OF_GROUP[group ?? ''] ?? [];
  if (version === undefined || !versions.includes(version))
    errors.push(
      `apiVersion: expected one of ${versions.map((v) => `${group}/${v}`).join(', ')}, got ${JSON.stringify(apiVersion)}`,
    );
  const meta = metaOf(object, origin, fallbackVersion, errors);
  // Istio's ValidateGateway: a Gateway's name is a DNS label (no dots), since VirtualServices name it as namespace/name.
  if (istioKind === 'Gateway' && meta.name !== '' && !isDnsLabel(meta.name))
    errors.push(`metadata.name: invalid gateway name ${JSON.stringify(meta.name)}: expected a DNS label (no dots)`);
  const rawSpec = object['spec'] ?? {};
  const schema = SPEC_SCHEMAS[istioKind];
  const parsed = schema.safeParse(rawSpec);
  if (!parsed.success) {
    for (const problem of issuesFromZod(parsed.error.issues, rawSpec, schema))
      errors.push(`${formatConfigPath(['spec', ...problem.segments])}: ${problem.message}`);
  }
  if (errors.length > 0 || !parsed.success) return { valid: false, errors };
  // The schema map ties each kind to its spec type; TypeScript cannot follow the correlation through the lookup.
  return { valid: true, result: { kind: istioKind, meta, spec: parsed.data } as AnyIstioConfig };
}
