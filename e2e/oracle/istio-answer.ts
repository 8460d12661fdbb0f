import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { harnessDir } from '../support/harness.ts';
import { isJsonObject, type MeshAnswer } from './answer.ts';

const run = promisify(execFile);

/** The oracle binary built by interop/istio-oracle/build.sh (npm test builds it first), or $ISTIO_ORACLE. */
export function oracleBinary(): string {
  const binary = process.env.ISTIO_ORACLE ?? join(harnessDir('istio-oracle'), 'istio-oracle');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`bash interop/istio-oracle/build.sh\``);
  return binary;
}

/** What Istio's own pilot sends each probe proxy of a mesh (the oracle harness, one process per mesh). */
export async function istioAnswer(configPath: string, probesPath: string): Promise<MeshAnswer> {
  const { stdout } = await run(oracleBinary(), ['--config', configPath, '--probes', probesPath], {
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  const parsed: unknown = JSON.parse(stdout);
  if (!isJsonObject(parsed) || !isJsonObject(parsed.probes)) {
    throw new Error(`istio-oracle answered without a "probes" object for ${configPath}`);
  }
  return parsed as unknown as MeshAnswer;
}
