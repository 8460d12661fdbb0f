import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../protos/any.ts';
import { PUSH_ORDER } from '../protos/type-urls.ts';
import { formatViolations, validateResourceBytes } from '../protos/validate-rules.ts';
import type { ProxyView } from '../model/proxy-view.ts';
import type { MeshSnapshot } from '../model/types.ts';
import { translateAll } from './index.ts';
import { richSnapshot, richView } from './test-support/rich-snapshot.ts';
import { loadSeedSnapshot, SEED_VIEWS } from './test-support/seed-snapshot.ts';
import { securedRichSnapshot } from './test-support/secured-snapshot.ts';
import { withIstioConfig } from './test-support/istio-config.ts';
import { TRAFFIC_SCENARIOS } from './test-support/traffic-config.ts';

/** Every kind of proxy in every network (and in none), with and without a known workload. */
function viewsFor(networks: readonly string[], base: ProxyView): { label: string; view: ProxyView }[] {
  const kinds: { label: string; patch: Partial<ProxyView> }[] = [
    { label: 'sidecar', patch: {} },
    { label: 'sidecar without workload', patch: { workloadIp: undefined } },
    { label: 'router sni-dnat', patch: { proxyType: 'router', routerMode: 'sni-dnat' } },
    {
      label: 'router sni-dnat with network view',
      patch: { proxyType: 'router', routerMode: 'sni-dnat', requestedNetworkView: [networks[0]!] },
    },
    { label: 'router standard', patch: { proxyType: 'router' } },
    { label: 'grpc', patch: { generator: 'grpc' } },
  ];
  return [...networks, ''].flatMap((network) =>
    kinds.map(({ label, patch }) => {
      const view: Record<string, unknown> = { ...base, network, ...patch };
      if ('workloadIp' in patch && patch.workloadIp === undefined) delete view.workloadIp;
      return { label: `${label} in "${network}"`, view: view as unknown as ProxyView };
    }),
  );
}

const ANY_FIELDS = new Set(['typed_config', 'api_listener', 'typed_extension_protocol_options']);

/**
 * Paths of packed Any values without a type: protobufjs silently packs an object whose `@type`
 * it does not know as an empty Any, which validate.rules cannot see and Envoy rejects.
 */
function untypedAnys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => untypedAnys(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = `${path}.${key}`;
    const isAny = ANY_FIELDS.has(key) && typeof child === 'object' && child !== null && !('api_listener' in child);
    const anys = key === 'typed_extension_protocol_options' ? Object.values(child as object) : isAny ? [child] : [];
    const missing = anys
      .filter((any) => typeof any !== 'object' || any === null || !('@type' in any))
      .map(() => childPath);
    return [...missing, ...untypedAnys(child, childPath)];
  });
}

let meshes: { name: string; snapshot: MeshSnapshot; views: { label: string; view: ProxyView }[] }[];
beforeAll(async () => {
  const seed = await loadSeedSnapshot();
  meshes = [
    { name: 'seed', snapshot: seed, views: viewsFor(['group20', 'group30'], SEED_VIEWS.sidecarGroup20) },
    // VirtualService / DestinationRule output, one traffic field group at a time.
    ...Object.entries(TRAFFIC_SCENARIOS).map(([group, objects]) => ({
      name: `seed with ${group} traffic config`,
      snapshot: withIstioConfig(seed, objects),
      views: viewsFor(['group20', 'group30'], SEED_VIEWS.sidecarGroup20),
    })),
    { name: 'rich', snapshot: richSnapshot(), views: viewsFor(['net-east', 'net-west'], richView()) },
    {
      name: 'rich with security and telemetry config',
      snapshot: securedRichSnapshot(),
      views: viewsFor(['net-east', 'net-west'], richView()),
    },
  ];
});

describe('every resource every translator emits', () => {
  it('encodes, has a unique name per type, satisfies validate.rules, and is deterministic', () => {
    let checked = 0;
    for (const { name, snapshot, views } of meshes) {
      for (const { label, view } of views) {
        for (const typeUrl of PUSH_ORDER) {
          const translate = (s: typeof snapshot, v: typeof view) => translateAll(typeUrl, s, v);
          const resources = translate(snapshot, view);
          const names = resources.map((r) => r.name);
          expect(new Set(names).size, `${name} / ${label} / ${typeUrl}: duplicate names ${names.join(', ')}`).toBe(
            names.length,
          );
          const again = translate(snapshot, view);
          resources.forEach((resource, i) => {
            const bytes = encodeMessage(typeUrl, resource.object);
            const violations = validateResourceBytes(typeUrl, bytes, { reportUnknownAny: true });
            expect(violations, `${name} / ${label} / ${resource.name}:\n${formatViolations(violations)}`).toEqual([]);
            expect(untypedAnys(decodeMessage(typeUrl, bytes)), `${name} / ${label} / ${resource.name}`).toEqual([]);
            expect(Buffer.from(encodeMessage(typeUrl, again[i]!.object)).equals(Buffer.from(bytes))).toBe(true);
            checked += 1;
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
