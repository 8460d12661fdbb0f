import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from './types.ts';

const serviceRangeBase = (10 << 24) | (96 << 16); // 10.96.0.0/12, kubeadm's default service CIDR

function ipOf(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function specOf(object: KubeObject): JsonObject {
  const spec = object['spec'];
  return isJsonObject(spec) ? spec : {};
}

/**
 * What the real API server fills into a new Service: type ClusterIP, a cluster IP from 10.96.0.0/12
 * (skipping 10.96.0.1, the `kubernetes` Service's), and TCP / targetPort defaults on its ports.
 * `usedIps` are the cluster IPs of Services that exist.
 */
export function defaultService(object: KubeObject, usedIps: Set<string>): KubeObject {
  const spec: JsonObject = { ...specOf(object) };
  const type = typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP';
  spec['type'] = type;
  if (Array.isArray(spec['ports'])) {
    spec['ports'] = spec['ports'].map((port: JsonValue) =>
      isJsonObject(port) && port['port'] !== undefined
        ? { protocol: 'TCP', ...port, targetPort: port['targetPort'] ?? port['port'] }
        : port,
    );
  }
  if (type !== 'ExternalName' && (spec['clusterIP'] === undefined || spec['clusterIP'] === '')) {
    for (let offset = 10; offset < 1 << 20; offset += 1) {
      const candidate = ipOf(serviceRangeBase + offset);
      if (!usedIps.has(candidate)) {
        spec['clusterIP'] = candidate;
        break;
      }
    }
  }
  if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== 'None' && spec['clusterIPs'] === undefined)
    spec['clusterIPs'] = [spec['clusterIP']];
  if (spec['clusterIP'] === 'None' && spec['clusterIPs'] === undefined) spec['clusterIPs'] = ['None'];
  if (spec['sessionAffinity'] === undefined) spec['sessionAffinity'] = 'None';
  return { ...object, spec };
}

/** An update that leaves out allocated fields keeps them, as the real Service REST storage does. */
export function keepAllocatedServiceFields(updated: KubeObject, existing: KubeObject): KubeObject {
  const spec: JsonObject = { ...specOf(updated) };
  const before = specOf(existing);
  for (const key of ['clusterIP', 'clusterIPs', 'type', 'sessionAffinity']) {
    const previous = before[key];
    if ((spec[key] === undefined || spec[key] === '') && previous !== undefined) spec[key] = previous;
  }
  return { ...updated, spec };
}

export function serviceClusterIp(object: KubeObject): string | undefined {
  const ip = specOf(object)['clusterIP'];
  return typeof ip === 'string' ? ip : undefined;
}
