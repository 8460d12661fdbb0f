/**
 * The Pods (and the namespaces they are created in) whose injection Istio's injector judges: each is the
 * request.object of the AdmissionReview the kube-apiserver sends /inject, after its defaulting (container
 * port protocol TCP, as a real API server sets it before calling mutating webhooks).
 */

export interface InjectionCase {
  readonly name: string;
  /** The labels of the namespace the Pod is created in (they select the webhook; neither injector reads them). */
  readonly namespaceLabels: Record<string, string>;
  /** The URL path the webhook configuration names (meshpilot-member's injectionURL or the Service's /inject). */
  readonly path: string;
  readonly pod: Record<string, unknown>;
  /**
   * The kube cluster the path names and its nodes node-0, node-1… (Istio's native sidecar detection and
   * meshpilot's read their kubelet versions); a case naming a cluster must give it the same nodes as others.
   */
  readonly cluster?: { readonly id: string; readonly kubeletVersions: string[] };
  /** meshpilot.yaml `webhooks:` settings of this case beside the test's defaults. */
  readonly webhooks?: { readonly nativeSidecars?: boolean | 'auto' };
}

const MEMBER_PATH = '/inject/cluster/member/net/network-1';

const app = (extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: 'registry.example/helloworld:1',
  ports: [
    { containerPort: 5000, name: 'http', protocol: 'TCP' },
    { containerPort: 9090, protocol: 'TCP' },
  ],
  resources: {},
  ...extra,
});

const pod = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'sample', ...metadata },
  spec: { serviceAccountName: 'app', containers: [app()], ...spec },
});

const deploymentPod = (annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}) =>
  pod(
    {
      generateName: 'helloworld-v1-7d9f8c6b5-',
      labels: { app: 'helloworld', version: 'v1', 'pod-template-hash': '7d9f8c6b5' },
      annotations,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'helloworld-v1-7d9f8c6b5', uid: 'u', controller: true },
      ],
    },
    spec,
  );

export const INJECTION_CASES: readonly InjectionCase[] = [
  {
    name: 'deployment pod, namespace istio-injection=enabled',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod(),
  },
  {
    name: 'bare pod, namespace istio.io/rev=default, the Service path /inject',
    namespaceLabels: { 'istio.io/rev': 'default' },
    path: '/inject',
    pod: pod({ name: 'helloworld', labels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/version': '2' } }),
  },
  {
    name: 'opted out: sidecar.istio.io/inject "false"',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: pod({ name: 'opted-out', labels: { app: 'x' }, annotations: { 'sidecar.istio.io/inject': 'false' } }),
  },
  {
    name: 'host network pod',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: pod({ name: 'host', labels: { app: 'x' } }, { hostNetwork: true }),
  },
  {
    name: 'proxyless gRPC: inject.istio.io/templates grpc-agent',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod({ 'inject.istio.io/templates': 'grpc-agent' }),
  },
  {
    name: 'traffic annotations meshpilot honours, and the default container set by the user',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod(
      {
        'traffic.sidecar.istio.io/includeInboundPorts': '5000',
        'traffic.sidecar.istio.io/excludeInboundPorts': '9090',
        'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8,172.16.0.0/12',
        'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.1/32',
        'traffic.sidecar.istio.io/includeOutboundPorts': '443',
        'traffic.sidecar.istio.io/excludeOutboundPorts': '3306',
        'kubectl.kubernetes.io/default-container': 'sidecar-helper',
      },
      { containers: [app(), { name: 'sidecar-helper', image: 'helper:1', resources: {} }] },
    ),
  },
  {
    name: 'proxy annotations meshpilot honours: image, resources, log levels',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod({
      'sidecar.istio.io/proxyImage': 'registry.example/istio/proxyv2:1.29.1-distroless',
      'sidecar.istio.io/proxyCPU': '50m',
      'sidecar.istio.io/proxyMemoryLimit': '256Mi',
      'sidecar.istio.io/logLevel': 'debug',
      'sidecar.istio.io/componentLogLevel': 'upstream:debug',
      'sidecar.istio.io/agentLogLevel': 'default:debug',
    }),
  },
  {
    name: 'proxyless gRPC with a proxy image and a memory request',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod({
      'inject.istio.io/templates': 'grpc-agent',
      'sidecar.istio.io/proxyImage': 'registry.example/istio/proxyv2:1.29.1',
      'sidecar.istio.io/proxyMemory': '64Mi',
    }),
  },
  {
    name: 'proxyless gRPC, two app containers with fields in another order than Go writes them',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod(
      { 'inject.istio.io/templates': 'grpc-agent' },
      {
        containers: [
          {
            volumeMounts: [{ mountPath: '/data', readOnly: true, name: 'data' }],
            env: [
              { value: 'a<b && c>d', name: 'QUERY' },
              { valueFrom: { fieldRef: { fieldPath: 'metadata.name' } }, name: 'POD' },
            ],
            resources: { requests: { memory: '64Mi', cpu: '100m' }, limits: { memory: '128Mi' } },
            readinessProbe: { periodSeconds: 5, grpc: { port: 9090 } },
            imagePullPolicy: 'IfNotPresent',
            securityContext: { runAsUser: 1000, runAsNonRoot: true },
            args: ['--port', '9090'],
            command: ['/server'],
            ports: [{ protocol: 'TCP', containerPort: 9090, name: 'grpc' }],
            image: 'registry.example/server:1',
            name: 'server',
            workingDir: '/srv',
            stdin: false,
            tty: true,
          },
          { name: 'helper', image: 'helper:1', resources: {} },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    ),
  },
  {
    name: 'app probes (HTTP on a named port, TCP, gRPC) are rewritten to the agent',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod(
      {},
      {
        containers: [
          app({
            readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 2 },
            livenessProbe: { tcpSocket: { port: 5000 }, periodSeconds: 5 },
            startupProbe: { grpc: { port: 9090 }, failureThreshold: 30 },
          }),
        ],
        initContainers: [{ name: 'setup', image: 'setup:1', resources: {} }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    ),
  },
  {
    name: 'app probes kept: sidecar.istio.io/rewriteAppHTTPProbers "false"',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod(
      { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' },
      { containers: [app({ readinessProbe: { httpGet: { path: '/ready', port: 5000 } } })] },
    ),
  },
  {
    name: 'nodes with kubelet 1.36: Istio injects a native sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/native/net/network-1',
    pod: deploymentPod(),
    cluster: { id: 'native', kubeletVersions: ['v1.36.1'] },
  },
  {
    name: 'nodes with kubelet 1.36 and webhooks.nativeSidecars: true: a native sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/native/net/network-1',
    pod: deploymentPod(
      {},
      {
        containers: [app({ readinessProbe: { httpGet: { path: '/ready', port: 5000 } } })],
        initContainers: [{ name: 'setup', image: 'setup:1', resources: {} }],
      },
    ),
    cluster: { id: 'native', kubeletVersions: ['v1.36.1'] },
    webhooks: { nativeSidecars: true },
  },
  {
    name: 'pod annotation sidecar.istio.io/nativeSidecar "true": a native sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: MEMBER_PATH,
    pod: deploymentPod({ 'sidecar.istio.io/nativeSidecar': 'true' }),
  },
  {
    name: 'nodes with kubelet 1.32: a classic sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/old/net/network-1',
    pod: deploymentPod(),
    cluster: { id: 'old', kubeletVersions: ['v1.32.4'] },
  },
  {
    name: 'nodes with kubelet 1.32 and 1.36, pod not scheduled: a classic sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/mixed/net/network-1',
    pod: deploymentPod(),
    cluster: { id: 'mixed', kubeletVersions: ['v1.32.4', 'v1.36.1-eks-3abf2c'] },
  },
  {
    name: 'nodes with kubelet 1.32 and 1.36, pod on the 1.36 node: a native sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/mixed/net/network-1',
    pod: deploymentPod({}, { nodeName: 'node-1' }),
    cluster: { id: 'mixed', kubeletVersions: ['v1.32.4', 'v1.36.1-eks-3abf2c'] },
  },
  {
    name: 'nodes with kubelet 1.36, pod annotation sidecar.istio.io/nativeSidecar "false": a classic sidecar',
    namespaceLabels: { 'istio-injection': 'enabled' },
    path: '/inject/cluster/native/net/network-1',
    pod: deploymentPod({ 'sidecar.istio.io/nativeSidecar': 'false' }),
    cluster: { id: 'native', kubeletVersions: ['v1.36.1'] },
  },
];
