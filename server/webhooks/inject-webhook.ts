import { rewriteAppProbes } from './app-probes.ts';
import { proxyOverridesAnnotation } from './go-container-json.ts';
import { detectNativeSidecar, type KubeNodesOf, type NativeSidecarMode } from './native-sidecars.ts';
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
  withClusterEnv,
} from './sidecar-template.ts';

/** Namespaces Istio never injects into (pkg/kube/inject IgnoredNamespaces). */
const IGNORED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);
export const GRPC_AGENT_TEMPLATE = 'grpc-agent';

export type InjectorSettings = Omit<InjectionSettings, 'clusterId' | 'network' | 'nativeSidecars'> & {
  readonly clusterId?: string;
  readonly network?: string;
  /** webhooks.nativeSidecars; auto (Istio's default) reads the kubelet versions of the cluster's Nodes. */
  readonly nativeSidecars?: NativeSidecarMode;
  readonly kubeNodes?: KubeNodesOf;
};

type PodObject = {
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: { containers?: Json[]; initContainers?: Json[]; volumes?: Json[]; hostNetwork?: boolean; nodeName?: string };
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

/** Istio's DeploymentMeta of a pod: its controller, a Deployment for a ReplicaSet's pods (pkg/kube GetDeployMetaFromPod). */
function deployMeta(pod: PodObject, namespace: string): { name: string; owner: string } {
  const meta = pod.metadata ?? {};
  let name = meta.name ?? '';
  let kind = 'Pod';
  let apiVersion = 'v1';
  const controller = meta.generateName ? meta.ownerReferences?.find((ref) => ref.controller === true) : undefined;
  if (controller !== undefined) {
    apiVersion = controller.apiVersion ?? '';
    kind = controller.kind ?? '';
    name = controller.name ?? '';
    const hash = meta.labels?.['pod-template-hash'];
    const cronJob = /^(.+)-\d{8,10}$/.exec(name);
    if (kind === 'ReplicaSet' && hash && name.endsWith(hash)) {
      name = name.slice(0, -(hash.length + 1));
      kind = 'Deployment';
    } else if (kind === 'Job' && cronJob?.[1] !== undefined) {
      name = cronJob[1];
      kind = 'CronJob';
      apiVersion = 'batch/v1';
    }
  }
  if (name === '') name = meta.name ?? '';
  const owner =
    apiVersion && name
      ? `kubernetes://apis/${apiVersion}/namespaces/${namespace || 'default'}/${kind.toLowerCase()}s/${name}`
      : '';
  return { name, owner };
}

/** The template's canonical-name default: trunc 63 | trimAll "-_." (the sidecar template only). */
const trimCanonical = (name: string): string => name.slice(0, 63).replace(/^[-_.]+|[-_.]+$/g, '');

/** Which env the /inject/cluster/<id>/net/<network> path sets (Istio's URLParameterToEnv). */
export function pathEnv(path: string): Record<string, string> {
  const fromPath = pathParameters(path);
  return {
    ...(fromPath.clusterId !== undefined ? { ISTIO_META_CLUSTER_ID: fromPath.clusterId } : {}),
    ...(fromPath.network !== undefined ? { ISTIO_META_NETWORK: fromPath.network } : {}),
  };
}

/** The pod with Istio's sidecar (or grpc-agent) template applied, as an object. Pure. */
export function injectPod(
  pod: PodObject,
  namespace: string,
  settings: InjectionSettings,
  fromPath: Readonly<Record<string, string>> = {},
): PodObject {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const containers = pod.spec?.containers ?? [];
  const deploy = deployMeta(pod, namespace);
  const parts: PodParts = {
    namespace,
    labels,
    annotations,
    containers,
    ...(deploy.name ? { ownerName: deploy.name } : {}),
    ...(deploy.owner ? { owner: deploy.owner } : {}),
  };
  const templates = (annotations['inject.istio.io/templates'] ?? 'sidecar').split(',').map((t) => t.trim());
  const grpc = templates.includes(GRPC_AGENT_TEMPLATE);
  const apps = appContainerNames(parts);
  // The template's `default`: an empty label counts as absent.
  const first = (...values: (string | undefined)[]): string | undefined =>
    values.find((v) => v !== undefined && v !== '');
  const canonicalName =
    first(labels['service.istio.io/canonical-name'], labels['app.kubernetes.io/name'], labels['app'], deploy.name) ??
    '';
  const network = fromPath['ISTIO_META_NETWORK'];
  const newLabels: Record<string, string> = {
    ...labels,
    ...(grpc ? {} : { 'security.istio.io/tlsMode': first(labels['security.istio.io/tlsMode'], 'istio') ?? 'istio' }),
    'service.istio.io/canonical-name': grpc ? canonicalName : trimCanonical(canonicalName),
    'service.istio.io/canonical-revision':
      first(
        labels['service.istio.io/canonical-revision'],
        labels['app.kubernetes.io/version'],
        labels['version'],
        'latest',
      ) ?? 'latest',
    // Istio's applyMetadata: the network the /inject path names.
    ...(network !== undefined ? { 'topology.istio.io/network': network } : {}),
  };
  // The template's $nativeSidecar: the pod's annotation ("true" or "false"; another value counts as absent)
  // or the webhook's answer for the pod's cluster.
  const nativeAnnotation = annotations['sidecar.istio.io/nativeSidecar'];
  const native =
    !grpc && (nativeAnnotation === 'true' || (nativeAnnotation !== 'false' && settings.nativeSidecars === true));
  const initContainers = grpc ? [] : [initContainer(settings, annotations)];
  const template = grpc ? grpcAgentContainer(parts, settings) : sidecarContainer(parts, settings, native);
  const proxyEnv = withClusterEnv((template['env'] as Json[] | undefined) ?? [], fromPath);
  const volumes = grpc ? grpcAgentVolumes() : sidecarVolumes();
  // The grpc-agent template lists the app containers too (to add the bootstrap env), so they count as injected.
  const status = {
    initContainers:
      initContainers.length === 0
        ? null
        : [...initContainers.map((c) => c['name']), ...(native ? ['istio-proxy'] : [])],
    containers: native ? null : grpc ? ['istio-proxy', ...apps] : ['istio-proxy'],
    volumes: volumes.map((v) => v['name']),
    imagePullSecrets: null,
    revision: settings.revision,
  };
  const defaults = apps[0] === undefined ? {} : defaultContainers(annotations, apps[0]);
  const newAnnotations: Record<string, string> = {
    ...annotations,
    'istio.io/rev': settings.revision,
    ...defaults,
    ...(grpc ? { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' } : {}),
    // Istio's reapplyOverwrittenContainers: the Pod's containers the template also lists (grpc-agent lists
    // every app container), kept to re-apply them if the Pod is injected again.
    ...(grpc && apps.length > 0
      ? { 'proxy.istio.io/overrides': proxyOverridesAnnotation(containers.filter((c) => c['name'] !== 'istio-proxy')) }
      : {}),
    // Istio's metrics merge (applyPrometheusMerge, mesh enablePrometheusMerge defaults to true).
    'prometheus.io/port': '15020',
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/scrape': 'true',
    'sidecar.istio.io/status': JSON.stringify(status),
  };
  const grpcApp = grpcAppAdditions();
  const probes = grpc ? { containers, probers: undefined } : rewriteAppProbes(containers, annotations);
  const proxy = {
    ...template,
    env:
      probes.probers === undefined
        ? proxyEnv
        : [...proxyEnv, { name: 'ISTIO_KUBE_APP_PROBERS', value: probes.probers }],
  };
  const appContainers = probes.containers
    .filter((c) => c['name'] !== 'istio-proxy')
    .map((c) =>
      grpc
        ? {
            ...c,
            // The template's entries first, then the container's own (Istio's merge of the template's containers).
            env: [...grpcApp.env, ...((c['env'] as Json[] | undefined) ?? [])],
            volumeMounts: [...grpcApp.volumeMounts, ...((c['volumeMounts'] as Json[] | undefined) ?? [])],
          }
        : c,
    );
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: newLabels, annotations: newAnnotations },
    spec: {
      ...pod.spec,
      // Istio's reorderPod: istio-init runs last of the init containers (so it does not cut off the others'
      // traffic), unless the proxy is a native sidecar: then istio-init and istio-proxy come first.
      ...(initContainers.length > 0 || pod.spec?.initContainers !== undefined
        ? {
            initContainers: native
              ? [...initContainers, proxy, ...(pod.spec?.initContainers ?? [])]
              : [...(pod.spec?.initContainers ?? []), ...initContainers],
          }
        : {}),
      containers: native ? appContainers : [...appContainers, proxy],
      volumes: [...volumes, ...(pod.spec?.volumes ?? [])],
    },
  };
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
    if (after.spec?.[key] !== undefined) ops.push({ op: 'add', path: `/spec/${key}`, value: after.spec[key] });
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
  const { kubeNodes, ...rest } = settings;
  // istiod reads the Nodes of the cluster the path names, else of its own cluster ("Kubernetes").
  const cluster = pathParameters(path).clusterId || 'Kubernetes';
  const nativeSidecars = detectNativeSidecar(
    settings.nativeSidecars ?? 'auto',
    kubeNodes?.(cluster),
    pod.spec?.nodeName,
  );
  const injected = injectPod(
    pod,
    namespace,
    { ...rest, nativeSidecars, clusterId: settings.clusterId ?? 'Kubernetes', network: settings.network ?? '' },
    pathEnv(path),
  );
  return {
    uid: request.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patchOf(pod, injected))).toString('base64'),
  };
}
