import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { harnessDir } from './harness.ts';
import { runProcess } from './run-process.ts';

/**
 * The real helm (helm.sh/helm/v3, built by interop/helm/build.sh) with its config, cache and data folders
 * under a test folder, so no test reads or writes the user's helm state.
 */

export interface HelmRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

export class Helm {
  readonly binary = join(harnessDir('helm'), 'bin', 'helm');

  private constructor(private readonly home: string) {}

  static async create(dir: string): Promise<Helm> {
    const home = join(dir, 'helm-home');
    await mkdir(home, { recursive: true });
    return new Helm(home);
  }

  /** Runs helm with `args` (60 s at most); never throws for a non-zero exit. */
  run(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<HelmRun> {
    return runProcess(this.binary, args, {
      cwd: options.cwd,
      input: options.input,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.home,
        HELM_CONFIG_HOME: join(this.home, 'config'),
        HELM_CACHE_HOME: join(this.home, 'cache'),
        HELM_DATA_HOME: join(this.home, 'data'),
      },
    });
  }

  /** Runs helm and returns its stdout; a non-zero exit throws with its stderr. */
  async ok(args: readonly string[], options: { input?: string; cwd?: string } = {}): Promise<string> {
    const run = await this.run(args, options);
    if (run.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${run.code}): ${run.stderr.trim()}`);
    return run.stdout;
  }

  /** `helm template` of a chart: the rendered objects (empty documents left out). */
  async template(chart: string, args: readonly string[] = []): Promise<KubeObject[]> {
    return parseObjects(await this.ok(['template', 'test', chart, ...args]));
  }
}

/** Every non-empty YAML document of a multi-document text, as objects; a YAML error throws. */
export function parseObjects(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
    const value = doc.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}
