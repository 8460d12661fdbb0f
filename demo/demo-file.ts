import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../common/error-message.ts';

/** A bad demo.yaml: every problem with its path. */
export class DemoFileError extends Error {
  readonly code = 'MESHPILOT_ERR_DEMO_FILE';
}

const ipv4 = z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'expected a loopback IPv4 address (127.x.y.z)');
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'expected a Kubernetes name');

const workload = {
  podIp: ipv4,
  podName: name,
  namespace: name,
  clusterId: name,
  network: z.string().min(1),
  region: z.string().default(''),
  zone: z.string().default(''),
  labels: z.record(z.string(), z.string()).default({}),
};

const demoFileSchema = z.strictObject({
  backends: z.array(z.strictObject({ address: ipv4, port: z.number().int().min(1).max(65535) })).max(64),
  proxies: z.array(z.strictObject({ type: z.enum(['sidecar', 'router']), ...workload })).max(64),
  // One: a process has one gRPC xDS bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG), so one node identity.
  grpcClient: z
    .strictObject({
      ...workload,
      target: z.string().startsWith('xds:///'),
      intervalMs: z.number().int().min(100).max(60_000).default(1_000),
    })
    .optional(),
});

export type DemoFile = z.infer<typeof demoFileSchema>;
export type DemoProxy = DemoFile['proxies'][number];
export type DemoGrpcClient = NonNullable<DemoFile['grpcClient']>;

/** Reads the demo's workloads (examples/demo/demo.yaml); a bad file throws one error naming every path. */
export async function loadDemoFile(path: string): Promise<DemoFile> {
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (error: unknown) {
    throw new DemoFileError(`MESHPILOT_ERR_DEMO_FILE: ${path}: ${errorMessage(error)}`);
  }
  const result = demoFileSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new DemoFileError(`MESHPILOT_ERR_DEMO_FILE: ${path}: ${issues.join('; ')}`);
  }
  return result.data;
}

/** Istio's node id: `<type>~<ip>~<pod>.<ns>~<ns>.svc.<suffix>`. */
export function nodeId(type: 'sidecar' | 'router', w: { podIp: string; podName: string; namespace: string }): string {
  return `${type}~${w.podIp}~${w.podName}.${w.namespace}~${w.namespace}.svc.cluster.local`;
}
