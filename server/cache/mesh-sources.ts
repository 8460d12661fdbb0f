import type { XdsTypeUrl } from '../../protos/type-urls.ts';
import type { SnapshotDelta } from '../../model/snapshot-delta.ts';
import type { XdsCache } from './xds-cache.ts';
import type { ProxyIdentifier, ResourceSource, Touched } from '../xds/resource-source.ts';
import type { NodeMessage } from '../xds/wire.ts';
import type { TypeGenerator } from '../generators/generator.ts';
import { MESH_GENERATORS } from '../generators/index.ts';
import { parseProxyNode, type ConnectedProxy } from '../generators/proxy-identity.ts';
import { topologyChecker, UNKNOWN_CLUSTER_CODE } from '../generators/proxy-topology.ts';

/** A source of the ADS streams as meshpilot runs them: proxies identified from node, changes are snapshot deltas. */
export type MeshResourceSource = ResourceSource<ConnectedProxy, SnapshotDelta>;

/** The stream-side source of one generated type: the view's resources from the cache, touched names from the generator. */
function generatedSource(cache: XdsCache, generator: TypeGenerator): MeshResourceSource {
  return {
    resources: (stream) => cache.resources(stream.proxy.view, generator.typeUrl),
    touched(change, stream): Touched {
      const touched = generator.touchedBy(change);
      // A router's own part (its Gateway listeners and routes) opens the targetPorts of the Services whose
      // endpoints hold its IP, so a change of endpoints can move it (as istiod's ProxyUpdate for a pod whose
      // service targets changed): a gateway that connected before its pod was listed gets the right ports.
      if (
        touched === 'none' &&
        generator.perWorkload &&
        stream.proxy.view.proxyType === 'router' &&
        change.endpoints.size > 0
      )
        return 'all';
      if (touched === 'all' || touched === 'none') return touched;
      // Only per-service generators can name the resources of a few services.
      if (!generator.perService) return 'all';
      return cache.namesOf(stream.proxy.view, generator.typeUrl, touched);
    },
  };
}

/** Every type generated from the mesh snapshot, plus extra sources (e.g. SDS), by type URL. */
export function meshResourceSources(
  cache: XdsCache,
  extra: ReadonlyMap<XdsTypeUrl, MeshResourceSource> = new Map(),
  generators: ReadonlyMap<XdsTypeUrl, TypeGenerator> = MESH_GENERATORS,
): ReadonlyMap<XdsTypeUrl, MeshResourceSource> {
  const sources = new Map<XdsTypeUrl, MeshResourceSource>();
  for (const [typeUrl, generator] of generators) sources.set(typeUrl, generatedSource(cache, generator));
  for (const [typeUrl, source] of extra) sources.set(typeUrl, source);
  return sources;
}

/** Identifies a proxy from its node, inferring what is missing from the current snapshot's pods. */
export function meshProxyIdentifier(cache: XdsCache): ProxyIdentifier<ConnectedProxy> {
  return (node: NodeMessage | undefined) => {
    const snapshot = cache.currentSnapshot();
    const parsed = parseProxyNode(node, snapshot);
    if (!parsed.ok) return parsed;
    const { view } = parsed.proxy;
    // Served as it claims (as istiod), but said once: a typo in CLUSTER_ID or NETWORK otherwise looks healthy.
    const unknown = snapshot ? topologyChecker(snapshot)(view) : [];
    return {
      ok: true,
      proxy: parsed.proxy,
      logFields: { kubeCluster: view.kubeCluster, network: view.network, generator: view.generator },
      ...(unknown.length > 0
        ? {
            warning: {
              code: UNKNOWN_CLUSTER_CODE,
              message: `proxy served as it claims, but its ${unknown.map((u) => u.message).join('; its ')}`,
            },
          }
        : {}),
    };
  };
}
