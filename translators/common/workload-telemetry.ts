import type { WorkloadEndpoint } from '../../model/types.ts';

/**
 * Istio's compressed endpoint telemetry label (`istio.workload` endpoint metadata,
 * pilot/pkg/networking/util AppendLbEndpointMetadata): `workload;namespace;canonical service;
 * canonical revision;kube cluster`, the revision left empty when it is `latest`. The workload is
 * the pod's Deployment (the pod name without its ReplicaSet hash and pod suffix), else the pod.
 */
export function workloadTelemetry(endpoint: WorkloadEndpoint, namespace: string): string {
  const labels = endpoint.labels;
  // A WorkloadEntry's workload: its group, workload-name label or name (Istio's WorkloadNameFromWorkloadEntry).
  const workload =
    endpoint.workloadName ??
    endpoint.workloadEntry ??
    workloadName(endpoint.podName ?? '', labels['pod-template-hash']);
  const canonical =
    labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? workload;
  const revision =
    labels['service.istio.io/canonical-revision'] ?? labels['app.kubernetes.io/version'] ?? labels.version ?? 'latest';
  return [workload, namespace, canonical, revision === 'latest' ? '' : revision, endpoint.kubeCluster].join(';');
}

function workloadName(podName: string, templateHash: string | undefined): string {
  if (templateHash === undefined) return podName;
  const marker = `-${templateHash}-`;
  const at = podName.lastIndexOf(marker);
  return at > 0 ? podName.slice(0, at) : podName;
}
