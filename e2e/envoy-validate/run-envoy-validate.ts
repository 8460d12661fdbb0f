import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { harnessDir } from '../support/harness.ts';
import type { ResourceRecord } from './proxy-output-records.ts';

export interface Rejection {
  readonly view: string;
  readonly type: string;
  readonly name: string;
  /** validate (protoc-gen-validate), grpc-go (its xDS decoders), decode, unknown-field, name. */
  readonly check: string;
  readonly path?: string;
  readonly error: string;
}

export interface ValidationReport {
  readonly validated: number;
  readonly byType: Record<string, number>;
  readonly grpcParsed: number;
  readonly packedAnys: number;
  readonly notEnvoy: Record<string, number>;
  readonly uncheckedPacked: Record<string, number>;
  readonly deprecatedFields: Record<string, number>;
  readonly rejections: Rejection[];
  readonly grpcGoVersion: string;
}

/** Runs the envoy-validate harness on the records; resolves with its report (exit 1 = rejections, still a report). */
export function runEnvoyValidate(
  records: readonly ResourceRecord[],
  grpcBootstrapPath: string,
): Promise<ValidationReport> {
  const binary = join(harnessDir('envoy-validate'), 'bin', 'envoy-validate');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--grpc-bootstrap', grpcBootstrapPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) {
        reject(new Error(`envoy-validate exited ${String(code)}: ${Buffer.concat(err).toString()}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as ValidationReport);
      } catch (error: unknown) {
        reject(
          new Error(`envoy-validate printed no report: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    });
    child.stdin.end(records.map((r) => JSON.stringify(r)).join('\n'));
  });
}
