import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { harnessDir } from '../../support/harness.ts';
import type { ProcessCommand } from './client-process.ts';

/**
 * The four gRPC xDS client implementations of the interop matrix. Go, Java and Python are built by
 * interop/<name>/build.sh; grpc-js runs from this repository's own dependencies.
 */
export type ClientName = 'grpc-go' | 'grpc-java' | 'grpc-python' | 'grpc-js';

export const CLIENTS: readonly ClientName[] = ['grpc-go', 'grpc-java', 'grpc-python', 'grpc-js'];

export interface ClientOptions {
  readonly target: string;
  /** `xds`: XdsChannelCredentials (mTLS from the xDS Cluster's UpstreamTlsContext), plaintext fallback. */
  readonly creds?: 'insecure' | 'xds';
}

const here = dirname(fileURLToPath(import.meta.url));
/** tsx's loader by absolute URL, so the grpc-js client starts from any working directory. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export function clientCommand(name: ClientName, options: ClientOptions): ProcessCommand {
  const args = [`--target=${options.target}`, `--creds=${options.creds ?? 'insecure'}`];
  if (name === 'grpc-js')
    return {
      file: process.execPath,
      args: ['--import', tsxLoader, join(here, '..', 'clients', 'grpc-js-client.ts'), ...args],
    };
  return { file: join(harnessDir(name), 'bin', 'client'), args };
}
