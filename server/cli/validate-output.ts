import { encodeMessage } from '../../protos/any.ts';
import { PUSH_ORDER, shortTypeName } from '../../protos/type-urls.ts';
import { validateResourceBytes } from '../../protos/validate-rules.ts';
import type { ProxyView } from '../../model/proxy-view.ts';
import type { MeshSnapshot } from '../../model/types.ts';
import { translateAll } from '../../translators/index.ts';

/**
 * The proxies whose output `validate --proxy-output` checks: per kube cluster and namespace, an
 * Envoy sidecar and a proxyless gRPC client for one of its pods; per network, an east-west gateway.
 */
export function representativeViews(snapshot: MeshSnapshot): { label: string; view: ProxyView }[] {
  const views: { label: string; view: ProxyView }[] = [];
  const seen = new Set<string>();
  for (const [ip, workloads] of snapshot.workloadsByIp) {
    for (const workload of workloads) {
      const key = `${workload.kubeCluster}/${workload.pod.namespace}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const base = {
        routerMode: 'standard' as const,
        network: workload.network,
        locality: workload.locality,
        kubeCluster: workload.kubeCluster,
        namespace: workload.pod.namespace,
        requestedNetworkView: [],
        workloadIp: ip,
      };
      views.push({
        label: `sidecar ${workload.pod.namespace}/${workload.pod.name} (${workload.kubeCluster})`,
        view: { ...base, generator: 'envoy', proxyType: 'sidecar' },
      });
      views.push({
        label: `grpc ${workload.pod.namespace}/${workload.pod.name} (${workload.kubeCluster})`,
        view: { ...base, generator: 'grpc', proxyType: 'sidecar' },
      });
    }
  }
  views.push(...gatewayRouterViews(snapshot));
  for (const [network, gateways] of snapshot.gateways) {
    const gateway = gateways[0];
    if (!gateway) continue;
    views.push({
      label: `east-west gateway ${gateway.address} (${network})`,
      view: {
        generator: 'envoy',
        proxyType: 'router',
        routerMode: 'sni-dnat',
        network,
        locality: gateway.locality ?? { region: '', zone: '', subZone: '' },
        kubeCluster: gateway.kubeCluster ?? '',
        namespace: 'istio-system',
        requestedNetworkView: [],
        workloadIp: gateway.address,
      },
    });
  }
  return views;
}

/**
 * A router per Gateway selector: the first pod (by IP) whose labels the selector matches, as that pod's
 * gateway proxy sees its Gateways (listeners on its own ports, routes, credentials' SDS names).
 */
function gatewayRouterViews(snapshot: MeshSnapshot): { label: string; view: ProxyView }[] {
  const views: { label: string; view: ProxyView }[] = [];
  const seen = new Set<string>();
  for (const gateway of snapshot.istioConfig.gateways) {
    const selector = gateway.spec.selector;
    if (selector === undefined || Object.keys(selector).length === 0) continue;
    const key = JSON.stringify(Object.entries(selector).sort());
    if (seen.has(key)) continue;
    seen.add(key);
    const found = [...snapshot.workloadsByIp.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([ip, workloads]) => workloads.map((w) => ({ ip, w })))
      .find(({ w }) => Object.entries(selector).every(([k, v]) => w.pod.labels[k] === v));
    if (found === undefined) continue;
    const { ip, w } = found;
    views.push({
      label: `gateway ${w.pod.namespace}/${w.pod.name} (${w.kubeCluster})`,
      view: {
        generator: 'envoy',
        proxyType: 'router',
        routerMode: 'standard',
        network: w.network,
        locality: w.locality,
        kubeCluster: w.kubeCluster,
        namespace: w.pod.namespace,
        requestedNetworkView: [],
        workloadIp: ip,
        labels: w.pod.labels,
      },
    });
  }
  return views;
}

/** Every resource of every representative proxy, encoded and checked against validate.rules. */
export function validateProxyOutput(snapshot: MeshSnapshot): { checked: number; violations: string[] } {
  let checked = 0;
  const violations: string[] = [];
  for (const { label, view } of representativeViews(snapshot)) {
    for (const typeUrl of PUSH_ORDER) {
      for (const resource of translateAll(typeUrl, snapshot, view)) {
        checked += 1;
        let bytes: Uint8Array;
        try {
          bytes = encodeMessage(typeUrl, resource.object);
        } catch (error: unknown) {
          violations.push(
            `${label} ${shortTypeName(typeUrl)} ${resource.name}: does not encode: ${error instanceof Error ? error.message : String(error)}`,
          );
          continue;
        }
        for (const v of validateResourceBytes(typeUrl, bytes, { reportUnknownAny: true }))
          violations.push(`${label} ${shortTypeName(typeUrl)} ${resource.name}: ${v.path}: ${v.message} [${v.rule}]`);
      }
    }
  }
  return { checked, violations };
}
