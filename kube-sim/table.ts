import type { IncomingMessage } from 'node:http';
import type { ResourceType } from './resources.ts';
import { isJsonObject, metadataOf, type JsonObject, type JsonValue, type KubeObject } from './types.ts';

type Column = {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (object: KubeObject) => JsonValue;
};

/** kubectl get asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first. */
export function wantsTable(request: IncomingMessage): boolean {
  const accept = request.headers.accept ?? '';
  return accept
    .split(',')
    .some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part) && /;\s*v=v1(;|$|\s)/.test(part));
}

function field(object: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let current = object;
  for (const segment of path) current = isJsonObject(current) ? current[segment] : undefined;
  return current;
}

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function text(value: JsonValue | undefined, fallback = '<none>'): string {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : fallback;
}

const nameColumn: Column = { name: 'Name', type: 'string', format: 'name', cell: (object) => object.metadata.name };
/** k8s.io/apimachinery's duration.HumanDuration, as the server-side printer writes the Age column. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 === 0 ? '' : `${seconds % 60}s`}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60 === 0 ? '' : `${minutes % 60}m`}`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return `${Math.floor(hours / 24)}d${hours % 24 === 0 ? '' : `${hours % 24}h`}`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  return years < 8 ? `${years}y${Math.floor(hours / 24) % 365}d` : `${years}y`;
}

function age(object: KubeObject): string {
  const created = object.metadata['creationTimestamp'];
  return typeof created === 'string' ? humanDuration(Date.now() - Date.parse(created)) : '<unknown>';
}

const ageColumn: Column = { name: 'Age', type: 'string', cell: age };

function servicePorts(object: KubeObject): string {
  const ports = list(field(object, 'spec', 'ports')).map((port) => {
    const nodePort = field(port, 'nodePort');
    return `${text(field(port, 'port'), '')}${nodePort !== undefined ? `:${text(nodePort, '')}` : ''}/${text(field(port, 'protocol'), 'TCP')}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

const columnsByKind: Record<string, Column[]> = {
  Service: [
    nameColumn,
    { name: 'Type', type: 'string', cell: (o) => text(field(o, 'spec', 'type'), 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => text(field(o, 'spec', 'clusterIP')) },
    {
      name: 'External-IP',
      type: 'string',
      cell: (o) =>
        list(field(o, 'status', 'loadBalancer', 'ingress'))
          .map((i) => text(field(i, 'ip'), text(field(i, 'hostname'), '')))
          .join(',') || '<none>',
    },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    ageColumn,
  ],
  Pod: [
    nameColumn,
    { name: 'Status', type: 'string', cell: (o) => text(field(o, 'status', 'phase'), 'Pending') },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => text(field(o, 'status', 'podIP')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => text(field(o, 'spec', 'nodeName')) },
  ],
  Namespace: [
    nameColumn,
    { name: 'Status', type: 'string', cell: (o) => text(field(o, 'status', 'phase'), 'Active') },
    ageColumn,
  ],
  Node: [nameColumn, { name: 'Status', type: 'string', cell: () => 'Ready' }, ageColumn],
  Secret: [
    nameColumn,
    { name: 'Type', type: 'string', cell: (o) => text(o['type'], 'Opaque') },
    { name: 'Data', type: 'string', cell: (o) => String(isJsonObject(o['data']) ? Object.keys(o['data']).length : 0) },
    ageColumn,
  ],
  EndpointSlice: [
    nameColumn,
    { name: 'AddressType', type: 'string', cell: (o) => text(o['addressType']) },
    {
      name: 'Ports',
      type: 'string',
      cell: (o) =>
        list(o['ports'])
          .map((p) => text(field(p, 'port'), ''))
          .join(',') || '<unset>',
    },
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) =>
        list(o['endpoints'])
          .flatMap((e) => list(field(e, 'addresses')).map((a) => text(a, '')))
          .join(',') || '<unset>',
    },
    ageColumn,
  ],
};

/** A meta.k8s.io/v1 Table as the server-side printer makes it; kubectl prints it and adds NAMESPACE for -A. */
export function tableFor(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: JsonValue | undefined,
): JsonObject {
  const columns = columnsByKind[type.kind] ?? [nameColumn, ageColumn];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: text(resourceVersion, '') },
    columnDefinitions: columns.map((column) => ({
      name: column.name,
      type: column.type,
      format: column.format ?? '',
      description: column.name,
      priority: column.priority ?? 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadataOf(object) },
    })),
  };
}
