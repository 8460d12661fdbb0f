import { getAdminJson, AdminClientError } from './admin-client.ts';

/** The pod part of an Istio node id (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.<suffix>` → `<pod>.<ns>`). */
export function podNameOf(nodeId: string): string | undefined {
  const parts = nodeId.split('~');
  return parts.length === 4 ? parts[2] : undefined;
}

/**
 * The node id of a connected proxy named as istioctl takes it: the full node id, `<pod>.<namespace>`, or
 * `<pod>` alone when only one connected proxy has that pod name. An unknown or ambiguous name is an
 * error listing what matched.
 */
export function matchProxyName(name: string, connected: readonly string[]): string {
  if (connected.includes(name)) return name;
  const byPod = connected.filter((id) => podNameOf(id) === name);
  if (byPod.length === 1) return byPod[0]!;
  const byPodOnly = name.includes('.') ? [] : connected.filter((id) => podNameOf(id)?.split('.')[0] === name);
  if (byPod.length === 0 && byPodOnly.length === 1) return byPodOnly[0]!;
  const candidates = [...byPod, ...byPodOnly];
  if (candidates.length > 1)
    throw new AdminClientError(`proxy "${name}" is ambiguous: ${candidates.join(', ')} (give <pod>.<namespace>)`);
  throw new AdminClientError(
    `no connected proxy "${name}" (give a node id or <pod>.<namespace>; meshpilot proxy-status lists them)`,
  );
}

/** Resolves a proxy name against the proxies connected to meshpilot now (/debug/syncz). */
export async function resolveProxyName(adminUrl: string, name: string): Promise<string> {
  const entries = (await getAdminJson(adminUrl, '/debug/syncz')) as { proxy: string }[];
  return matchProxyName(
    name,
    entries.map((e) => e.proxy),
  );
}
