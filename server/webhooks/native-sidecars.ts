/**
 * Whether /inject makes istio-proxy a native sidecar, as istiod decides it (pkg/kube/inject
 * DetectNativeSidecar with ENABLE_NATIVE_SIDECARS true, false or auto, its default). Pure.
 */

/** webhooks.nativeSidecars: Istio's ENABLE_NATIVE_SIDECARS ("auto" reads the member cluster's Nodes). */
export type NativeSidecarMode = boolean | 'auto';

export interface KubeletNode {
  readonly name: string;
  readonly kubeletVersion?: string;
}

/** The Nodes of the member kube cluster an /inject path names; undefined when meshpilot has no such cluster. */
export type KubeNodesOf = (kubeCluster: string) => ReadonlyMap<string, KubeletNode> | undefined;

/** Native sidecars are stable from Kubernetes 1.33 (istiod compares the minor version only). */
const MIN_MINOR = 33;

// hashicorp/go-version's version syntax (what istiod parses kubelet versions with): numbers, then an
// optional pre-release and build metadata.
const GO_VERSION =
  /^v?([0-9]+(?:\.[0-9]+)*?)(?:-[0-9]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*|-?[A-Za-z\-~]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)?(?:\+[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*)?$/;

/** A node supports native sidecars when its kubelet's minor version is 33 or more; an unreadable version does not. */
export function kubeletSupportsNativeSidecars(version: string | undefined): boolean {
  const match = GO_VERSION.exec(version ?? '');
  if (match?.[1] === undefined) return false;
  const minor = Number(match[1].split('.')[1] ?? '0');
  return minor >= MIN_MINOR;
}

/**
 * The mode's answer for a pod: true/false as set; auto: the pod's node when it is scheduled and known,
 * else every node of the cluster (none: true, as istiod); a cluster meshpilot does not watch: false.
 */
export function detectNativeSidecar(
  mode: NativeSidecarMode,
  nodes: ReadonlyMap<string, KubeletNode> | undefined,
  podNodeName: string | undefined,
): boolean {
  if (mode !== 'auto') return mode;
  if (nodes === undefined) return false;
  const scheduled = podNodeName ? nodes.get(podNodeName) : undefined;
  if (scheduled !== undefined) return kubeletSupportsNativeSidecars(scheduled.kubeletVersion);
  for (const node of nodes.values()) if (!kubeletSupportsNativeSidecars(node.kubeletVersion)) return false;
  return true;
}
