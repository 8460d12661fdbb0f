/**
 * The containers and volumes Istio's injector adds (manifests/charts/istio-control/istio-discovery/
 * files/injection-template.yaml and grpc-agent.yaml at the pinned Istio, with the chart's default
 * values and classic, non-native sidecars). Pure: a pod and settings in, the injected parts out.
 */

export interface InjectionSettings {
  readonly revision: string;
  readonly proxyImage: string;
  readonly discoveryAddress: string;
  readonly clusterId: string;
  readonly network: string;
  readonly meshId: string;
  readonly trustDomain: string;
  readonly domainSuffix: string;
  /** Istio's ENABLE_NATIVE_SIDECARS=true: istio-proxy as a native sidecar (an init container). */
  readonly nativeSidecars?: boolean;
}

export type Json = Record<string, unknown>;

export interface PodParts {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly Json[];
  /** Istio's DeploymentMeta name and owner (pkg/kube GetDeployMetaFromPod). */
  readonly ownerName?: string;
  /** kubernetes://apis/<apiVersion>/namespaces/<ns>/<kind>s/<name>, the template's ISTIO_META_OWNER. */
  readonly owner?: string;
}

const STATUS_PORT = 15020;

const fieldRef = (name: string, fieldPath: string): Json => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const resourceRef = (name: string, resource: string): Json => ({
  name,
  valueFrom: { resourceFieldRef: { resource, divisor: '1' } },
});

export function appContainerNames(pod: PodParts): string[] {
  return pod.containers.map((c) => String(c['name'])).filter((name) => name !== 'istio-proxy');
}

/** A ContainerPort as Go's encoding/json writes corev1.ContainerPort (the template's structToJSON). */
function goContainerPort(port: unknown): string {
  const p = (typeof port === 'object' && port !== null ? port : {}) as Json;
  const fields: [string, unknown][] = [
    ['name', p['name'] || undefined],
    ['hostPort', p['hostPort'] || undefined],
    ['containerPort', p['containerPort'] ?? 0],
    ['protocol', p['protocol'] || undefined],
    ['hostIP', p['hostIP'] || undefined],
  ];
  return JSON.stringify(Object.fromEntries(fields.filter(([, value]) => value !== undefined)));
}

/** ISTIO_META_POD_PORTS as the template renders it: one port a line, after four spaces. */
function podPorts(pod: PodParts): string {
  const ports = pod.containers.flatMap((c) => (Array.isArray(c['ports']) ? (c['ports'] as unknown[]) : []));
  return `[${ports.map((p, i) => `\n    ${i === 0 ? '' : ','}${goContainerPort(p)}`).join('')}\n]`;
}

/** The env of istio-proxy shared by both templates, in the template's order. */
function proxyEnv(pod: PodParts, s: InjectionSettings, grpc: boolean): Json[] {
  const proxyConfig = JSON.stringify({
    discoveryAddress: s.discoveryAddress,
    ...(s.meshId ? { meshId: s.meshId } : {}),
  });
  return [
    ...(grpc
      ? [
          { name: 'ISTIO_META_GENERATOR', value: 'grpc' },
          { name: 'OUTPUT_CERTS', value: '/var/lib/istio/data' },
        ]
      : []),
    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
    { name: 'CA_ADDR', value: s.discoveryAddress },
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('HOST_IP', 'status.hostIP'),
    ...(grpc ? [] : [resourceRef('ISTIO_CPU_LIMIT', 'limits.cpu')]),
    { name: 'PROXY_CONFIG', value: `${proxyConfig}\n` },
    { name: 'ISTIO_META_POD_PORTS', value: podPorts(pod) },
    { name: 'ISTIO_META_APP_CONTAINERS', value: appContainerNames(pod).join(',') },
    ...(grpc ? [] : [resourceRef('GOMEMLIMIT', 'limits.memory'), resourceRef('GOMAXPROCS', 'limits.cpu')]),
    { name: 'ISTIO_META_CLUSTER_ID', value: s.clusterId },
    fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    ...(grpc ? [] : [{ name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' }]),
    ...(s.network ? [{ name: 'ISTIO_META_NETWORK', value: s.network }] : []),
    ...(pod.labels['service.istio.io/workload-name'] || pod.ownerName
      ? [{ name: 'ISTIO_META_WORKLOAD_NAME', value: pod.labels['service.istio.io/workload-name'] || pod.ownerName }]
      : []),
    ...(pod.owner ? [{ name: 'ISTIO_META_OWNER', value: pod.owner }] : []),
    { name: 'ISTIO_META_MESH_ID', value: s.meshId || s.trustDomain },
    { name: 'TRUST_DOMAIN', value: s.trustDomain },
    ...(grpc
      ? [
          { name: 'ISTIO_META_DNS_CAPTURE', value: 'false' },
          { name: 'DISABLE_ENVOY', value: 'true' },
        ]
      : []),
  ];
}

/**
 * The proxy's env with the /inject/cluster/<id>/net/<network> path's values: Istio's webhook removes
 * ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK and appends the path's, sorted by name (updateClusterEnvs).
 */
export function withClusterEnv(env: readonly Json[], fromPath: Readonly<Record<string, string>>): Json[] {
  const names = Object.keys(fromPath).sort();
  if (names.length === 0) return [...env];
  return [
    ...env.filter((e) => !names.includes(String(e['name']))),
    ...names.map((name) => ({ name, value: fromPath[name] })),
  ];
}

type Annotations = Readonly<Record<string, string>>;

/** The pod's override of a chart value (the template's `annotation .ObjectMeta <key> <default>`). */
const annotation = (a: Annotations, key: string, fallback: string): string => a[key] ?? fallback;

/** sidecar.istio.io/proxyImage: used as is when it names a registry path ("/"), as the template does. */
function proxyImage(s: InjectionSettings, a: Annotations): string {
  const image = a['sidecar.istio.io/proxyImage'];
  return image !== undefined && image.includes('/') ? image : s.proxyImage;
}

/** The template's "resources": the sidecar.istio.io/proxyCPU|Memory[Limit] annotations, else the chart's. */
function proxyResources(a: Annotations): Json {
  const keys = ['proxyCPU', 'proxyMemory', 'proxyCPULimit', 'proxyMemoryLimit'].map((k) => `sidecar.istio.io/${k}`);
  if (!keys.some((k) => a[k] !== undefined)) return DEFAULT_PROXY_RESOURCES;
  const pick = (cpu: string, memory: string): Json | undefined => {
    const out: Json = {
      ...(a[cpu] !== undefined ? { cpu: a[cpu] } : {}),
      ...(a[memory] !== undefined ? { memory: a[memory] } : {}),
    };
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const requests = pick(keys[0] ?? '', keys[1] ?? '');
  const limits = pick(keys[2] ?? '', keys[3] ?? '');
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

const agentLogLevel = (a: Annotations): string =>
  `--log_output_level=${annotation(a, 'sidecar.istio.io/agentLogLevel', 'default:info')}`;

const proxyArgs = (s: InjectionSettings, a: Annotations): string[] => [
  'proxy',
  'sidecar',
  '--domain',
  `$(POD_NAMESPACE).svc.${s.domainSuffix}`,
  `--proxyLogLevel=${annotation(a, 'sidecar.istio.io/logLevel', 'warning')}`,
  `--proxyComponentLogLevel=${annotation(a, 'sidecar.istio.io/componentLogLevel', 'misc:error')}`,
  agentLogLevel(a),
];

// Istio's chart defaults (global.proxy.resources, startupProbe, readiness*): zero fields are left out, as
// Go's encoding of the rendered template leaves them out.
const DEFAULT_PROXY_RESOURCES: Json = {
  limits: { cpu: '2', memory: '1Gi' },
  requests: { cpu: '100m', memory: '128Mi' },
};

const startupProbe: Json = {
  httpGet: { path: '/healthz/ready', port: 15021 },
  periodSeconds: 1,
  timeoutSeconds: 3,
  failureThreshold: 600,
};

const readiness = (port: number): Json => ({
  httpGet: { path: '/healthz/ready', port },
  periodSeconds: 15,
  timeoutSeconds: 3,
  failureThreshold: 4,
});

const tokenVolume: Json = {
  name: 'istio-token',
  projected: {
    sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } }],
  },
};
const podInfoVolume: Json = {
  name: 'istio-podinfo',
  downwardAPI: {
    items: [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
    ],
  },
};
const rootCertVolume: Json = { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } };

/** istio-iptables' -d: the excluded inbound ports with the agent's status port (template.go excludeInboundPort). */
function excludeInboundPorts(excluded: string): string {
  const ports = excluded.split(',').map((p) => p.trim());
  if (ports.includes(String(STATUS_PORT))) return excluded;
  return [...ports.filter((p) => p !== ''), String(STATUS_PORT)].join(',');
}

/** istio-init: istio-iptables with the template's arguments and the pod's traffic annotations. */
export function initContainer(s: InjectionSettings, annotations: Readonly<Record<string, string>> = {}): Json {
  const traffic = (name: string, fallback: string): string =>
    annotations[`traffic.sidecar.istio.io/${name}`] ?? fallback;
  const optional = (flag: string, name: string): string[] => {
    const value = annotations[`traffic.sidecar.istio.io/${name}`];
    return value === undefined ? [] : [flag, value];
  };
  return {
    name: 'istio-init',
    image: proxyImage(s, annotations),
    args: [
      'istio-iptables',
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      traffic('includeOutboundIPRanges', '*'),
      '-x',
      traffic('excludeOutboundIPRanges', ''),
      '-b',
      traffic('includeInboundPorts', '*'),
      '-d',
      `15090,15021,${excludeInboundPorts(traffic('excludeInboundPorts', ''))}`,
      ...optional('-q', 'includeOutboundPorts'),
      ...optional('-o', 'excludeOutboundPorts'),
      agentLogLevel(annotations),
    ],
    resources: proxyResources(annotations),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

export function sidecarContainer(pod: PodParts, s: InjectionSettings, native = false): Json {
  return {
    name: 'istio-proxy',
    image: proxyImage(s, pod.annotations),
    // A native sidecar: restarted like a container, drained when the pod starts shutting down.
    ...(native
      ? {
          restartPolicy: 'Always',
          lifecycle: {
            preStop: {
              exec: { command: ['pilot-agent', 'request', `--debug-port=${STATUS_PORT}`, 'POST', 'drain'] },
            },
          },
        }
      : {}),
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: proxyArgs(s, pod.annotations),
    env: proxyEnv(pod, s, false),
    startupProbe,
    readinessProbe: readiness(15021),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1337,
      runAsGroup: 1337,
    },
    resources: proxyResources(pod.annotations),
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}

export function sidecarVolumes(): Json[] {
  return [
    // No volume source, as the template has it: the API server defaults it to emptyDir.
    { name: 'workload-socket' },
    { name: 'credential-socket' },
    { name: 'workload-certs' },
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { name: 'istio-data', emptyDir: {} },
    podInfoVolume,
    tokenVolume,
    rootCertVolume,
    { name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } },
  ];
}

/** grpc-agent: the agent only (DISABLE_ENVOY), serving the gRPC bootstrap and certificates to the app. */
export function grpcAgentContainer(pod: PodParts, s: InjectionSettings): Json {
  return {
    name: 'istio-proxy',
    image: proxyImage(s, pod.annotations),
    ports: [{ containerPort: 15020, protocol: 'TCP', name: 'mesh-metrics' }],
    args: proxyArgs(s, pod.annotations),
    lifecycle: {
      postStart: { exec: { command: ['pilot-agent', 'wait', '--url=http://localhost:15020/healthz/ready'] } },
    },
    env: proxyEnv(pod, s, true),
    readinessProbe: readiness(15020),
    resources: proxyResources(pod.annotations),
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-xds' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}

/** What grpc-agent adds to each application container: the bootstrap the agent writes, and its volumes. */
export function grpcAppAdditions(): { env: Json[]; volumeMounts: Json[] } {
  return {
    env: [
      { name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' },
      { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' },
    ],
    volumeMounts: [
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-xds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
    ],
  };
}

export function grpcAgentVolumes(): Json[] {
  return [
    { name: 'workload-socket' },
    { name: 'workload-certs' },
    { emptyDir: { medium: 'Memory' }, name: 'istio-xds' },
    { name: 'istio-data', emptyDir: {} },
    podInfoVolume,
    tokenVolume,
    rootCertVolume,
  ];
}
