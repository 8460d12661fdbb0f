import type { JsonObject } from './types.ts';

/** Error codes users may search for. */
export const KubeSimErrorCode = {
  badManifest: 'MESHPILOT_ERR_KUBESIM_BAD_MANIFEST',
  unknownKind: 'MESHPILOT_ERR_KUBESIM_UNKNOWN_KIND',
  badOption: 'MESHPILOT_ERR_KUBESIM_BAD_OPTION',
  notRunning: 'MESHPILOT_ERR_KUBESIM_NOT_RUNNING',
  listen: 'MESHPILOT_ERR_KUBESIM_LISTEN',
} as const;
export type KubeSimErrorCode = (typeof KubeSimErrorCode)[keyof typeof KubeSimErrorCode];

/** An error of the simulator's own programmatic API (not an HTTP answer). */
export class KubeSimError extends Error {
  readonly code: KubeSimErrorCode;
  constructor(code: KubeSimErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
    this.name = 'KubeSimError';
  }
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  retryAfterSeconds?: number;
  causes?: { reason?: string; message: string; field?: string }[];
}

/**
 * An API error answered as a metav1.Status, exactly as the real API server shapes it:
 * `reason` is the machine-readable StatusReason clients switch on (NotFound, Conflict, Expired …).
 */
export class ApiStatusError extends Error {
  readonly httpCode: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(httpCode: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.httpCode = httpCode;
    this.reason = reason;
    this.details = details;
    this.name = 'ApiStatusError';
  }

  toStatus(): JsonObject {
    return failureStatus(this.httpCode, this.reason, this.message, this.details);
  }
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): JsonObject {
  const status: JsonObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status['details'] = JSON.parse(JSON.stringify(details)) as JsonObject;
  return status;
}

export function successStatus(details: StatusDetails): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: JSON.parse(JSON.stringify(details)) as JsonObject,
  };
}

/** "services" in group "" → `services`; in a group → `virtualservices.networking.istio.io`. */
export function qualifiedResource(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export const apiErrors = {
  notFound: (resource: string, group: string, name: string) =>
    new ApiStatusError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, {
      name,
      group,
      kind: resource,
    }),
  alreadyExists: (resource: string, group: string, name: string) =>
    new ApiStatusError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, {
      name,
      group,
      kind: resource,
    }),
  conflict: (resource: string, group: string, name: string) =>
    new ApiStatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind: resource },
    ),
  badRequest: (message: string) => new ApiStatusError(400, 'BadRequest', message),
  invalid: (kind: string, group: string, name: string, field: string, message: string) =>
    new ApiStatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${field}: ${message}`, {
      name,
      group,
      kind,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    }),
  expired: (message: string) => new ApiStatusError(410, 'Expired', message),
  gone: (message: string) => new ApiStatusError(410, 'Gone', message),
  methodNotAllowed: (verb: string, resource: string) =>
    new ApiStatusError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${verb} ${resource})`,
    ),
  unsupportedMediaType: (contentType: string) =>
    new ApiStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got "${contentType}")`,
    ),
  unauthorized: () => new ApiStatusError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (user: string, verb: string, resource: string, group: string, namespace: string | undefined) =>
    new ApiStatusError(
      403,
      'Forbidden',
      `${qualifiedResource(resource, group)} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${
        namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'
      }`,
      { group, kind: resource },
    ),
  pathNotFound: () => new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource'),
};
