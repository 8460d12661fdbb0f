import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { harnessDir } from '../support/harness.ts';

const run = promisify(execFile);

/**
 * Istio's own sidecar injector (interop/istio-injector: pkg/kube/inject's webhook in process, fed the
 * istio-discovery chart of the pinned Istio rendered with meshpilot's settings).
 */

export interface InjectorValues {
  readonly proxyImage: string;
  readonly discoveryAddress: string;
  readonly meshId: string;
  readonly trustDomain: string;
  readonly domainSuffix: string;
  readonly revision: string;
}

export interface InjectorReview {
  readonly name: string;
  readonly path: string;
  readonly review: unknown;
  /** Other injectors' JSON Patch answers (e.g. meshpilot's), applied with the kube-apiserver's library. */
  readonly patches?: Record<string, unknown>;
}

export interface InjectorAnswer {
  readonly name: string;
  readonly httpStatus: number;
  readonly response?: { allowed: boolean; patch?: string; result?: { message?: string } };
  readonly body?: string;
  readonly patched?: Record<string, unknown>;
  readonly patchErrors?: Record<string, string>;
}

export interface InjectorOutput {
  readonly istioVersion: string;
  readonly setFlags: string[];
  readonly templates: string[];
  /** The webhooks of the MutatingWebhookConfiguration Istio's chart renders. */
  readonly mutatingWebhooks: unknown[];
  readonly answers: InjectorAnswer[];
}

export function injectorBinary(): string {
  const binary = join(harnessDir('istio-injector'), 'istio-injector');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`bash interop/istio-injector/build.sh\``);
  return binary;
}

/** What Istio's injector answers each review, and each review's Pod after every patch. */
export async function istioInjects(request: {
  values: InjectorValues;
  clusters?: Record<string, { kubeletVersions: string[] }>;
  reviews: InjectorReview[];
}): Promise<InjectorOutput> {
  const child = run(injectorBinary(), [], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  child.child.stdin?.end(JSON.stringify({ clusters: {}, ...request }));
  const { stdout } = await child;
  return JSON.parse(stdout) as InjectorOutput;
}
