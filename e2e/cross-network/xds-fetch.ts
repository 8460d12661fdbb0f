import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ProtoObject } from '../../protos/any.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../protos/type-urls.ts';
import { AdsTestClient, node } from '../support/ads-client.ts';

/** Helpers shared by the cross-network tests: what meshpilot serves a proxy, and a child's first output line. */

export interface Xds {
  listeners: ProtoObject[];
  clusters: ProtoObject[];
  assignments: ProtoObject[];
}

/** What meshpilot serves one proxy: every listener and cluster (wildcard) and the assignments of its EDS clusters. */
export async function fetchXds(
  address: string,
  nodeId: string,
  metadata: Record<string, string>,
  locality?: { region?: string; zone?: string },
): Promise<Xds> {
  const client = new AdsTestClient(address);
  try {
    client.send({ node: node(nodeId, metadata, locality), type_url: CLUSTER_TYPE, resource_names: [] });
    const clusters = (await client.responses.next(10_000)).resources;
    client.send({ type_url: LISTENER_TYPE, resource_names: [] });
    const listeners = (await client.responses.next(10_000)).resources;
    const eds = clusters.filter((c) => c.type === 'EDS').map((c) => String(c.name));
    client.send({ type_url: ENDPOINT_TYPE, resource_names: eds });
    const assignments = eds.length > 0 ? (await client.responses.next(10_000)).resources : [];
    return { listeners, clusters, assignments };
  } finally {
    client.close();
  }
}

/** The first line a child prints on stdout; rejects if it exits first or prints nothing within the time. */
export function firstLine(child: ChildProcess, what: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const timer = setTimeout(
      () => reject(new Error(`${what}: no output within ${timeoutMs} ms\n${stderr.join('')}`)),
      timeoutMs,
    );
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code})\n${stderr.join('')}`));
    });
  });
}
