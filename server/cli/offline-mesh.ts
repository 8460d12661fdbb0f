import pino from 'pino';
import { buildSnapshot } from '../../model/build-snapshot.ts';
import { gatewayHostnames } from '../../model/networks.ts';
import { GatewayNameCache } from '../gateway-dns/gateway-name-cache.ts';
import { buildIstioConfigSet } from '../../model/istio/config-set.ts';
import type { AnyIstioConfig } from '../../model/istio/types.ts';
import type { KubeClusterObjects } from '../../model/inputs.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { readManifestFolder } from '../config/manifests.ts';
import type { MeshpilotConfig } from '../config/schema.ts';
import { translationWarnings } from '../istio-config/config-store.ts';
import { describeUnsupported, unsupportedObjectOf } from '../istio-config/unsupported-kinds.ts';
import { workloadEntryMembers } from '../istio-config/member-clusters.ts';
import { istioKindOf, validateIstioObject } from '../istio-config/validate.ts';
import { invalidObjectLines } from '../istio-config/validation-messages.ts';
import { KUBE_KINDS } from '../registry/events.ts';
import { listingOf } from '../registry/kinds.ts';

/** A mesh built from files alone (manifest-folder kube clusters and Istio config folders), as the pipeline builds it. */
export interface OfflineMesh {
  readonly snapshot: MeshSnapshot;
  /** What could not be read offline (kubeconfig clusters, config clusters). */
  readonly notes: readonly string[];
  /** Invalid values of registry objects that serve drops (the rest of each object is kept). */
  readonly dropped: readonly string[];
  /** Invalid Istio objects (rejected alone, as meshpilot serve would) and unreadable manifests. */
  readonly errors: readonly string[];
  /**
   * What serve accepts and does not translate: objects of kinds istiod reads and meshpilot does not
   * (EnvoyFilter, Gateway API, ...), and parts of accepted objects (Telemetry access logging, ...).
   */
  readonly warnings: readonly string[];
}

/** Every gateway hostname of the mesh resolved once (each query bounded by gatewayDns.timeoutMs). */
async function resolveOnce(
  config: MeshpilotConfig,
  kubeClusters: readonly KubeClusterObjects[],
): Promise<ReadonlyMap<string, readonly string[]>> {
  const names = new GatewayNameCache(config.gatewayDns, pino({ level: 'silent' }), () => undefined);
  try {
    names.watch(gatewayHostnames(config.meshNetworks, kubeClusters, config.domainSuffix));
    await names.settled();
    return names.addresses();
  } finally {
    names.stop();
  }
}

export async function kubeClusterFromFolder(
  name: string,
  dir: string,
  network: string | undefined,
): Promise<{ objects: KubeClusterObjects; errors: string[]; dropped: string[] }> {
  const { objects, errors } = await readManifestFolder(dir);
  const listing = listingOf(objects);
  const dropped: string[] = [];
  for (const kind of KUBE_KINDS)
    for (const [key, record] of listing[kind] as ReadonlyMap<string, { dropped?: readonly string[] }>)
      for (const problem of record.dropped ?? [])
        dropped.push(
          `kube cluster ${name}: ${kind} ${key}: ${problem} (dropped) [MESHPILOT_WARN_REGISTRY_INPUT_DROPPED]`,
        );
  return {
    dropped,
    objects: {
      name,
      ...(network ? { network } : {}),
      services: listing.Service,
      endpointSlices: listing.EndpointSlice,
      pods: listing.Pod,
      nodes: listing.Node,
      namespaces: listing.Namespace,
    },
    errors: errors.map((e) => `${e.path}: ${e.message}`),
  };
}

export interface OfflineMeshOptions {
  /**
   * Resolve the east-west gateway hostnames once, with meshpilot.yaml's gatewayDns (as serve does before
   * its first snapshot); otherwise a hostname gateway is left out, as an unresolved one is.
   */
  readonly resolveGatewayHostnames?: boolean;
}

export async function loadOfflineMesh(config: MeshpilotConfig, options: OfflineMeshOptions = {}): Promise<OfflineMesh> {
  const notes: string[] = [];
  const errors: string[] = [];
  const dropped: string[] = [];
  const warnings: string[] = [];
  const kubeClusters: KubeClusterObjects[] = [];
  for (const cluster of config.clusters) {
    if (cluster.manifests === undefined) {
      notes.push(`kube cluster ${cluster.name} is read from its API server: left out offline`);
      continue;
    }
    const read = await kubeClusterFromFolder(cluster.name, cluster.manifests, cluster.network);
    errors.push(...read.errors);
    dropped.push(...read.dropped);
    const objects = read.objects;
    kubeClusters.push(objects);
  }
  const istio: AnyIstioConfig[] = [];
  for (const source of config.config) {
    // A kube cluster given as a manifests folder holds its Istio objects in that same folder (as serve reads it).
    const folder = source.manifests ?? config.clusters.find((c) => c.name === source.cluster)?.manifests;
    if (folder === undefined) {
      notes.push(`Istio config of kube cluster ${source.cluster} is read from its API server: left out offline`);
      continue;
    }
    const { objects } = await readManifestFolder(folder);
    for (const object of objects) {
      if (!istioKindOf(object.apiVersion, object.kind)) {
        const skipped = unsupportedObjectOf(object, { type: 'file', path: folder });
        if (skipped !== undefined) warnings.push(describeUnsupported(skipped));
        continue;
      }
      const result = validateIstioObject(object, { type: 'file', path: folder });
      if (result.valid) {
        istio.push(result.result);
        for (const warning of translationWarnings(result.result, object))
          warnings.push(`${object.kind} ${result.result.meta.namespace}/${result.result.meta.name}: ${warning}`);
      } else
        errors.push(...invalidObjectLines(object.kind, object.metadata.namespace, object.metadata.name, result.errors));
    }
  }
  // The member kube clusters' WorkloadEntries, each its kube cluster's (as serve reads them).
  for (const member of workloadEntryMembers(config)) {
    if (member.manifests === undefined) {
      notes.push(`WorkloadEntries of kube cluster ${member.name} are read from its API server: left out offline`);
      continue;
    }
    const { objects } = await readManifestFolder(member.manifests);
    for (const object of objects) {
      if (istioKindOf(object.apiVersion, object.kind) !== 'WorkloadEntry') continue;
      const result = validateIstioObject(object, { type: 'kube', kubeCluster: member.name });
      if (result.valid) istio.push(result.result);
      else
        errors.push(
          ...invalidObjectLines(object.kind, object.metadata.namespace, object.metadata.name, result.errors).map(
            (line) => `kube cluster ${member.name}: ${line}`,
          ),
        );
    }
  }
  const snapshot = buildSnapshot({
    domainSuffix: config.domainSuffix,
    trustDomain: config.trustDomain,
    meshNetworks: config.meshNetworks,
    meshConfig: config.mesh,
    optIn: config.optIn,
    kubeClusters,
    istioConfig: buildIstioConfigSet(istio),
    ...(options.resolveGatewayHostnames === true ? { resolvedHostnames: await resolveOnce(config, kubeClusters) } : {}),
  });
  return { snapshot, notes, errors, dropped, warnings };
}
