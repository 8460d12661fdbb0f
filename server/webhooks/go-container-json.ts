/**
 * A container as Go's encoding/json writes k8s.io/api corev1.Container (what Istio's injector puts in the
 * proxy.istio.io/overrides annotation): the struct's field order, empty omitempty fields left out,
 * `resources` always present (a struct), map keys sorted, and <, >, & escaped as \u003c, \u003e, \u0026.
 * The fields of ports, env, volume mounts, resources and probes are ordered as their structs; deeper
 * objects keep the order the Pod gave them. Pure.
 */

type Json = Record<string, unknown>;

const CONTAINER = [
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'restartPolicyRules',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
];
const PORT = ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP'];
const ENV_VAR = ['name', 'value', 'valueFrom'];
const VOLUME_MOUNT = [
  'name',
  'readOnly',
  'recursiveReadOnly',
  'mountPath',
  'subPath',
  'mountPropagation',
  'subPathExpr',
];
const RESOURCES = ['limits', 'requests', 'claims'];
const PROBE = [
  'exec',
  'httpGet',
  'tcpSocket',
  'grpc',
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
  'terminationGracePeriodSeconds',
];
/** Fields without omitempty: written even when zero. */
const ALWAYS = new Set([
  'container.name',
  'container.resources',
  'port.containerPort',
  'env.name',
  'mount.name',
  'mount.mountPath',
]);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Go's omitempty: false, 0, "", an empty array or map, nil. */
function empty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

function ordered(
  value: unknown,
  fields: readonly string[],
  kind: string,
  inner: (key: string, v: unknown) => unknown,
): Json {
  const object = isObject(value) ? value : {};
  const out: Json = {};
  for (const key of fields) {
    const field = object[key];
    if (ALWAYS.has(`${kind}.${key}`))
      out[key] = inner(key, field ?? (key === 'containerPort' ? 0 : key === 'resources' ? {} : ''));
    else if (!empty(field)) out[key] = inner(key, field);
  }
  return out;
}

const sortedMap = (value: unknown): Json =>
  Object.fromEntries(Object.entries(isObject(value) ? value : {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const each = (value: unknown, f: (v: unknown) => unknown): unknown[] => (Array.isArray(value) ? value.map(f) : []);

function containerField(key: string, value: unknown): unknown {
  switch (key) {
    case 'ports':
      return each(value, (p) => ordered(p, PORT, 'port', (_k, v) => v));
    case 'env':
      return each(value, (e) => ordered(e, ENV_VAR, 'env', (_k, v) => v));
    case 'volumeMounts':
      return each(value, (m) => ordered(m, VOLUME_MOUNT, 'mount', (_k, v) => v));
    case 'resources':
      return ordered(value, RESOURCES, 'resources', (k, v) => (k === 'claims' ? v : sortedMap(v)));
    case 'livenessProbe':
    case 'readinessProbe':
    case 'startupProbe':
      // GRPCAction.service is a *string without omitempty: null when absent.
      return ordered(value, PROBE, 'probe', (k, v) =>
        k === 'grpc' && isObject(v) ? { port: v['port'] ?? 0, service: v['service'] ?? null } : v,
      );
    default:
      return value;
  }
}

/** Go's json.Marshal escaping of a JSON text (HTMLEscape and the JS line separators). */
function goEscape(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Istio's proxy.istio.io/overrides value: the Pod's containers the template also lists, as Go encodes ParsedContainers. */
export function proxyOverridesAnnotation(containers: readonly unknown[]): string {
  return goEscape(
    JSON.stringify({ containers: containers.map((c) => ordered(c, CONTAINER, 'container', containerField)) }),
  );
}
