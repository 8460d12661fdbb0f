import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './admission.ts';
import {
  appContainerNames,
  grpcAgentContainer,
  grpcAgentVolumes,
  grpcAppAdditions,
  initContainer,
  sidecarContainer,
  sidecarVolumes,
  type InjectionSettings,
  type Json,
  type PodParts,
} from './sidecar-template.ts';

/** Namespaces Istio never injects into (pkg/kube/inject IgnoredNamespaces). */
const IGNORED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);
export const GRPC_AGENT_TEMPLATE = 'grpc-agent';

export type InjectorSettings = Omit<InjectionSettings, 'clusterId' | 'network'> & {
  readonly clusterId?: string;
  readonly network?: string;
};

type PodObject = {
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { containers?: Json[]; initContainers?: Json[]; volumes?: Json[]; hostNetwork?: boolean };
};

/** Istio's path parameters: /inject/cluster/<id>/net/<network> (istioctl's external control plane URL). */
export function pathParameters(path: string): { clusterId?: string; network?: string } {
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .slice(1);
  const out: { clusterId?: string; network?: string } = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const value = decodeURIComponent(parts[i + 1] ?? '');
    if (parts[i] === 'cluster') out.clusterId = value;
    if (parts[i] === 'net') out.network = value;
  }
  return out;
}

function skipReason(pod: PodObject, namespace: string): string | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  if (pod.spec?.hostNetwork === true) return 'hostNetwork';
  if (IGNORED_NAMESPACES.has(namespace)) return 'ignored namespace';
  if (annotations['sidecar.istio.io/status'] !== undefined) return 'already injected';
  const inject = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
  if (inject !== undefined && !['true', 'yes', 'y', 'on'].includes(inject.toLowerCase())) return 'injection disabled';
  return undefined;
}

/** The workload name: Istio's DeploymentMeta name, from generateName for controller-made pods. */
function workloadName(pod: PodObject): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  const generate = pod.metadata?.generateName?.replace(/-$/, '');
  const fromGenerate =
    generate && labels['pod-template-hash']
      ? generate.replace(new RegExp(`-${labels['pod-template-hash']}$`), '')
      : generate;
  return labels['service.istio.io/workload-name'] ?? fromGenerate ?? pod.metadata?.name;
}

/** The pod with Istio's sidecar (or grpc-agent) template applied, as an object. Pure. */
export function injectPod(pod: PodObject, namespace: string, settings: InjectionSettings): PodObject {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  const parts: PodParts = { namespace, labels, annotations, containers, ...ownerOf(pod) };
  const templates = (annotations['inject.istio.io/templates'] ?? 'sidecar').split(',').map((t) => t.trim());
  const grpc = templates.includes(GRPC_AGENT_TEMPLATE);
  const apps = appContainerNames(parts);
  const name = workloadName(pod) ?? '';
  const newLabels: Record<string, string> = {
    ...labels,
    ...(grpc ? {} : { 'security.istio.io/tlsMode': labels['security.istio.io/tlsMode'] ?? 'istio' }),
    'service.istio.io/canonical-name':
      labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels['app'] ?? name,
    'service.istio.io/canonical-revision':
      labels['service.istio.io/canonical-revision'] ??
      labels['app.kubernetes.io/version'] ??
      labels['version'] ??
      'latest',
  };
  const initContainers = grpc ? [] : [initContainer(settings)];
  const proxy = grpc ? grpcAgentContainer(parts, settings) : sidecarContainer(parts, settings);
  const volumes = grpc ? grpcAgentVolumes() : sidecarVolumes();
  const status = {
    initContainers: initContainers.map((c) => c['name']),
    containers: ['istio-proxy'],
    volumes: volumes.map((v) => v['name']),
    imagePullSecrets: null,
    revision: settings.revision,
  };
  const defaults = apps[0] === undefined ? {} : defaultContainers(annotations, apps[0]);
  const newAnnotations: Record<string, string> = {
    ...annotations,
    'istio.io/rev': settings.revision,
    ...defaults,
    ...(grpc
      ? { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' }
      : {
          'sidecar.istio.io/interceptionMode': 'REDIRECT',
          'traffic.sidecar.istio.io/includeInboundPorts':
            annotations['traffic.sidecar.istio.io/includeInboundPorts'] ?? '*',
          'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
          'traffic.sidecar.istio.io/includeOutboundIPRanges':
            annotations['traffic.sidecar.istio.io/includeOutboundIPRanges'] ?? '*',
          'prometheus.io/port': '15020',
          'prometheus.io/path': '/stats/prometheus',
          'prometheus.io/scrape': 'true',
        }),
    'sidecar.istio.io/status': JSON.stringify(status),
  };
  const grpcApp = grpcAppAdditions();
  const appContainers = containers
    .filter((c) => c['name'] !== 'istio-proxy')
    .map((c) =>
      grpc
        ? {
            ...c,
            env: [...((c['env'] as Json[] | undefined) ?? []), ...grpcApp.env],
            volumeMounts: [...((c['volumeMounts'] as Json[] | undefined) ?? []), ...grpcApp.volumeMounts],
          }
        : c,
    );
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: newLabels, annotations: newAnnotations },
    spec: {
      ...pod.spec,
      initContainers: [...initContainers, ...(pod.spec?.initContainers ?? [])],
      containers: [...appContainers, proxy],
      volumes: [...(pod.spec?.volumes ?? []), ...volumes],
    },
  };
}

function ownerOf(pod: PodObject): { ownerName?: string } {
  const name = workloadName(pod);
  return name === undefined ? {} : { ownerName: name };
}

function defaultContainers(annotations: Record<string, string>, first: string): Record<string, string> {
  return {
    ...(annotations['kubectl.kubernetes.io/default-logs-container'] === undefined
      ? { 'kubectl.kubernetes.io/default-logs-container': first }
      : {}),
    ...(annotations['kubectl.kubernetes.io/default-container'] === undefined
      ? { 'kubectl.kubernetes.io/default-container': first }
      : {}),
  };
}

/** The JSON Patch turning `before` into `after`: the changed top-level parts replaced whole. */
function patchOf(before: PodObject, after: PodObject): Json[] {
  const ops: Json[] = [];
  if (before.metadata === undefined) ops.push({ op: 'add', path: '/metadata', value: {} });
  ops.push({ op: 'add', path: '/metadata/labels', value: after.metadata?.labels ?? {} });
  ops.push({ op: 'add', path: '/metadata/annotations', value: after.metadata?.annotations ?? {} });
  for (const key of ['initContainers', 'containers', 'volumes'] as const)
    ops.push({ op: 'add', path: `/spec/${key}`, value: after.spec?.[key] ?? [] });
  return ops;
}

/** Istio's sidecar injection webhook (`/inject`): a Pod comes back with istio-init and istio-proxy. */
export function injectAdmission(
  request: AdmissionRequest,
  path: string,
  settings: InjectorSettings,
): AdmissionResponse {
  const pod = request.object as PodObject | undefined;
  if (request.kind?.kind !== undefined && request.kind.kind !== 'Pod') return allow(request.uid);
  if (typeof pod !== 'object' || pod === null || !Array.isArray(pod.spec?.containers))
    return deny(request.uid, 'the request carries no Pod with containers');
  const namespace = request.namespace ?? pod.metadata?.namespace ?? 'default';
  if (skipReason(pod, namespace) !== undefined) return allow(request.uid);
  const fromPath = pathParameters(path);
  const injected = injectPod(pod, namespace, {
    ...settings,
    clusterId: fromPath.clusterId ?? settings.clusterId ?? 'Kubernetes',
    network: fromPath.network ?? settings.network ?? '',
  });
  return {
    uid: request.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patchOf(pod, injected))).toString('base64'),
  };
}
