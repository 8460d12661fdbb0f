/**
 * The shape both sides of the oracle comparison answer in: per probe proxy, the resources of each
 * xDS type as proto3 JSON (snake_case field names, Any expanded with "@type"), sorted by name.
 * It is the stdout of `istio-oracle --config <meshpilot.yaml> --probes <probes.json>`.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const XDS_KINDS = ['cds', 'eds', 'lds', 'rds', 'nds'] as const;
export type XdsKind = (typeof XDS_KINDS)[number];

export interface ProbeAnswer {
  readonly cds: readonly JsonObject[];
  readonly eds: readonly JsonObject[];
  readonly lds: readonly JsonObject[];
  readonly rds: readonly JsonObject[];
  /** The NameTable, or null when none is sent. */
  readonly nds: JsonObject | null;
  readonly errors: readonly string[];
}

export interface MeshAnswer {
  readonly istioVersion?: string;
  /** Problems loading the mesh (the oracle: objects Istio refuses or skips). */
  readonly errors?: readonly string[];
  readonly probes: Readonly<Record<string, ProbeAnswer>>;
  /**
   * meshpilot's side only: per probe, the VIPs of each service absent from the probe's kube cluster
   * (any of which Istio may list, see normalise.ts).
   */
  readonly vipChoices?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** One probe proxy of a corpus mesh: what it says about itself when it connects. */
export interface Probe {
  readonly name: string;
  readonly node: {
    readonly id: string;
    readonly metadata: JsonObject;
    readonly locality?: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string };
  };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The name a resource of `kind` is known by (ClusterLoadAssignment: cluster_name). */
export function resourceName(kind: XdsKind, resource: JsonObject): string {
  const name = kind === 'eds' ? resource.cluster_name : resource.name;
  return typeof name === 'string' ? name : '';
}
