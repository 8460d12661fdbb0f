import { readFileSync } from 'node:fs';
import { errorMessage } from '../common/error-message.ts';
import { writeStructured, type OutputFormat } from './output.ts';

/** This package's version (package.json, one folder up from cli/ in the sources and from dist/cli/ + 1 in the build). */
export function clientVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'meshpilot' && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}

/** The control plane's version from its istio_build{component="pilot",tag} metric (as istiod exports it). */
async function controlPlaneVersion(adminUrl: string): Promise<string> {
  const response = await fetch(`${adminUrl.replace(/\/$/, '')}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`/metrics: ${response.status}`);
  const match = /^istio_build\{[^}]*tag="([^"]*)"[^}]*\}/m.exec(await response.text());
  if (!match) throw new Error('/metrics has no istio_build series');
  return match[1]!;
}

/**
 * `meshpilot version`: the client's version and, unless --remote=false, the control plane's at --admin
 * (as `istioctl version`). An unreachable control plane is reported on stderr and exits 1.
 */
export async function runVersion(
  adminUrl: string,
  remote: boolean,
  out: { write(text: string): void },
  err: { write(text: string): void },
  format: OutputFormat = 'short',
): Promise<number> {
  const client = clientVersion();
  let server: string | undefined;
  let failure: string | undefined;
  if (remote) {
    try {
      server = await controlPlaneVersion(adminUrl);
    } catch (error: unknown) {
      failure = `error [MESHPILOT_ERR_ADMIN_REQUEST]: control plane version from ${adminUrl}: ${errorMessage(error)}`;
    }
  }
  const value = { clientVersion: client, ...(server !== undefined ? { controlPlaneVersion: server } : {}) };
  if (!writeStructured(out, format, value)) {
    out.write(`client version: ${client}\n`);
    if (server !== undefined) out.write(`control plane version: ${server}\n`);
  }
  if (failure) {
    err.write(`${failure}\n`);
    return 1;
  }
  return 0;
}
