import type { ConfigOrigin, IstioKind } from '../../model/istio/types.ts';
import type { UnsupportedObject } from './unsupported-kinds.ts';

/** One Istio object as a source saw it, not yet validated. */
export interface RawConfigObject {
  readonly kind: IstioKind;
  /** metadata.namespace, "default" when a manifest leaves it out. */
  readonly namespace: string;
  readonly name: string;
  /** resourceVersion from the API server; a content hash for manifest files. */
  readonly version: string;
  readonly origin: ConfigOrigin;
  /** The whole object (apiVersion, kind, metadata, spec) as read. */
  readonly object: unknown;
  /**
   * The member kube cluster whose WorkloadEntries this is (read from a kube cluster that is not a config
   * source, as istiod's cross-cluster WorkloadEntries): objects of different scopes never conflict.
   */
  readonly scope?: string;
}

export type ConfigSourceState = 'syncing' | 'synced' | 'unreachable';

export interface ConfigSourceHealth {
  /** "manifests /abs/dir" or "cluster cluster-a". */
  readonly source: string;
  readonly state: ConfigSourceState;
  readonly syncedAt?: string;
  readonly lastError?: string;
  /** Problems that are not about one object (YAML syntax, unreadable files), each `<where>: <what>`. */
  readonly errors?: readonly string[];
  readonly objects: number;
}

/** A place Istio config comes from: a manifests folder or a config kube cluster (or a member kube cluster's WorkloadEntries). */
export interface IstioConfigSource {
  readonly description: string;
  /** Starts watching; resolves after the first read (or its failure, reported by health()). */
  start(onChange: () => void): Promise<void>;
  /** Every Istio object the source currently holds, in a stable order. */
  current(): readonly RawConfigObject[];
  /** Objects of kinds istiod reads and meshpilot does not translate (EnvoyFilter, Gateway API, ...), in a stable order. */
  unsupported(): readonly UnsupportedObject[];
  health(): ConfigSourceHealth;
  stop(): Promise<void>;
}

export function describeOrigin(origin: ConfigOrigin): string {
  return origin.type === 'file' ? origin.path : `kube cluster ${origin.kubeCluster}`;
}
