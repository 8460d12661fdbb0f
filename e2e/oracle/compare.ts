import { resourceName, XDS_KINDS, type JsonObject, type MeshAnswer, type XdsKind } from './answer.ts';
import { diffJson, type DifferenceStatus } from './diff.ts';
import { nameTableEntries, normaliseResource, ONE_OF_THE_VIPS, sameVipChoice } from './normalise.ts';

/** One difference between Istio's and meshpilot's answer, located by mesh, probe, type, resource and field path. */
export interface Difference {
  readonly mesh: string;
  readonly probe: string;
  readonly type: XdsKind;
  readonly resource: string;
  readonly path: string;
  readonly status: DifferenceStatus;
  readonly istio?: unknown;
  readonly meshpilot?: unknown;
}

/** A compared resource: one (mesh, probe, type, name) that either side sent. */
export interface ComparedResource {
  readonly mesh: string;
  readonly probe: string;
  readonly type: XdsKind;
  readonly resource: string;
  readonly differences: readonly Difference[];
}

/** The path of a difference that is the whole resource (sent by one side only). */
export const WHOLE_RESOURCE = '(resource)';

function byName(kind: XdsKind, resources: readonly JsonObject[]): Map<string, JsonObject> {
  return new Map(resources.map((r) => [resourceName(kind, r), normaliseResource(kind, r)]));
}

/** Compares two answers for the same mesh resource by resource, after normalisation. */
export function compareAnswers(mesh: string, istio: MeshAnswer, meshpilot: MeshAnswer): ComparedResource[] {
  const out: ComparedResource[] = [];
  const probes = [...new Set([...Object.keys(istio.probes), ...Object.keys(meshpilot.probes)])].sort();
  for (const probe of probes) {
    const left = istio.probes[probe];
    const right = meshpilot.probes[probe];
    if (!left || !right) throw new Error(`${mesh}: probe ${probe} is answered by only one side`);
    for (const type of XDS_KINDS) {
      const [istioResources, meshpilotResources] =
        type === 'nds'
          ? [nameTableEntries(left.nds), nameTableEntries(right.nds)]
          : [byName(type, left[type]), byName(type, right[type])];
      const names = [...new Set([...istioResources.keys(), ...meshpilotResources.keys()])].sort();
      for (const resource of names) {
        let [istioResource, meshpilotResource] = [istioResources.get(resource), meshpilotResources.get(resource)];
        if (
          type === 'nds' &&
          sameVipChoice(istioResource, meshpilotResource, meshpilot.vipChoices?.[probe]?.[resource])
        ) {
          istioResource = { ...istioResource, ips: [ONE_OF_THE_VIPS] };
          meshpilotResource = { ...meshpilotResource, ips: [ONE_OF_THE_VIPS] };
        }
        const differences = diffJson(istioResource, meshpilotResource).map((d) => ({
          mesh,
          probe,
          type,
          resource,
          ...d,
          path: d.path === '' ? WHOLE_RESOURCE : d.path,
        }));
        out.push({ mesh, probe, type, resource, differences });
      }
    }
  }
  return out;
}
