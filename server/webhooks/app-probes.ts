import type { Json } from './sidecar-template.ts';

/**
 * Istio's app probe rewrite (pkg/kube/inject app_probe.go), on by default (sidecarInjectorWebhook.
 * rewriteAppHTTPProbe): the kubelet's HTTP, TCP and gRPC probes of application containers go to the agent's
 * status port (15020) at /app-health/<container>/<readyz|livez|startupz>, and the agent runs the original
 * probes, listed in ISTIO_KUBE_APP_PROBERS. With REDIRECT capture and mTLS the kubelet's own probes would
 * otherwise be intercepted by the sidecar. Pure.
 */

const STATUS_PORT = 15020;
const PROBES = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** The fields of a corev1 action in Go's struct order, zero values left out (encoding/json omitempty). */
function goOrdered(value: Json, order: readonly string[]): Json {
  return Object.fromEntries(
    order
      .filter((key) => value[key] !== undefined && value[key] !== '' && value[key] !== null)
      .map((k) => [k, value[k]]),
  );
}
const HTTP_GET_ORDER = ['path', 'port', 'host', 'scheme', 'httpHeaders'];
const TCP_ORDER = ['port', 'host'];

/** The prober the agent runs for one kube probe, or undefined when Istio keeps the probe as it is. */
function prober(probe: unknown, namedPorts: ReadonlyMap<string, number>): Json | undefined {
  if (!isObject(probe)) return undefined;
  const timeout = typeof probe['timeoutSeconds'] === 'number' && probe['timeoutSeconds'] !== 0;
  const withTimeout = (p: Json): Json => (timeout ? { ...p, timeoutSeconds: probe['timeoutSeconds'] } : p);
  // corev1.GRPCAction's service is a *string without omitempty: Go writes null when it is absent.
  if (isObject(probe['grpc'])) {
    const grpc = probe['grpc'];
    return withTimeout({ grpc: { port: grpc['port'], service: grpc['service'] ?? null } });
  }
  const [key, order] = isObject(probe['httpGet'])
    ? (['httpGet', HTTP_GET_ORDER] as const)
    : isObject(probe['tcpSocket'])
      ? (['tcpSocket', TCP_ORDER] as const)
      : [undefined, []];
  if (key === undefined) return undefined;
  const action = { ...(probe[key] as Json) };
  if (typeof action['port'] === 'string') {
    const port = namedPorts.get(action['port']);
    if (port === undefined) return undefined;
    action['port'] = port;
  } else if (action['port'] === STATUS_PORT) return undefined;
  return withTimeout({ [key]: goOrdered(action, order) });
}

/** The probe the kubelet gets instead: an HTTP GET of the agent's status port. */
function rewritten(probe: Json, path: string): Json | undefined {
  const { httpGet, tcpSocket, grpc, ...rest } = probe;
  if (isObject(httpGet)) {
    const scheme = httpGet['scheme'] === 'HTTPS' ? { scheme: 'HTTP' } : {};
    return { ...rest, httpGet: { ...httpGet, path, port: STATUS_PORT, ...scheme } };
  }
  if (isObject(tcpSocket) || isObject(grpc)) return { ...rest, httpGet: { path, port: STATUS_PORT } };
  return undefined;
}

export interface ProbeRewrite {
  readonly containers: Json[];
  /** ISTIO_KUBE_APP_PROBERS' value, or undefined when no probe was rewritten. */
  readonly probers: string | undefined;
}

/** Rewrites the application containers' probes (the pod's annotation may turn it off, as Istio's). */
export function rewriteAppProbes(
  containers: readonly Json[],
  annotations: Readonly<Record<string, string>>,
): ProbeRewrite {
  const setting = annotations['sidecar.istio.io/rewriteAppHTTPProbers'];
  const off = setting !== undefined && ['false', '0', 'f', 'F', 'FALSE', 'False'].includes(setting);
  if (off) return { containers: [...containers], probers: undefined };
  const probers: Record<string, Json> = {};
  const out = containers.map((container) => {
    const name = String(container['name']);
    if (name === 'istio-proxy') return container;
    const namedPorts = new Map<string, number>();
    for (const port of Array.isArray(container['ports']) ? (container['ports'] as Json[]) : [])
      if (typeof port['name'] === 'string' && port['name'] !== '' && typeof port['containerPort'] === 'number')
        namedPorts.set(port['name'], port['containerPort']);
    const next: Json = { ...container };
    for (const [field, suffix] of PROBES) {
      const path = `/app-health/${name}/${suffix}`;
      const found = prober(container[field], namedPorts);
      if (found !== undefined) probers[path] = found;
      const replaced = isObject(container[field]) ? rewritten(container[field], path) : undefined;
      if (replaced !== undefined) next[field] = replaced;
    }
    return next;
  });
  const paths = Object.keys(probers).sort();
  return {
    containers: out,
    probers: paths.length === 0 ? undefined : JSON.stringify(Object.fromEntries(paths.map((p) => [p, probers[p]]))),
  };
}
