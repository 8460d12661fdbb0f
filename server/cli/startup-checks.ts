/**
 * What `serve` would fail on at start that the config's syntax does not show: two listeners on one
 * port, a port already taken on this host, CA files that cannot be read or are not a valid CA, a
 * kubeconfig the process may not read. `validate` reports them before `serve` is run.
 *
 * Errors are what the config itself makes fail wherever it runs (one port twice, bad CA files).
 * Warnings are the state of this host now (a port in use, an address not on this host): `validate`
 * may run beside the instance it is about to replace, or on another host than `serve`.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { errorMessage } from '../../common/error-message.ts';
import { formatListenAddress, parseListenAddress, type ListenAddress } from '../config/address.ts';
import type { ConfigError } from '../config/config-error.ts';
import type { MeshpilotConfig } from '../config/schema.ts';
import { readCaFiles } from '../security/ca-files.ts';
import { validateCaMaterial } from '../security/ca-material.ts';

export interface StartupFindings {
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];
}

export const StartupCheckCode = {
  duplicatePort: 'MESHPILOT_ERR_CONFIG_DUPLICATE_PORT',
  portInUse: 'MESHPILOT_ERR_PORT_IN_USE',
  addressNotAvailable: 'MESHPILOT_ERR_ADDRESS_NOT_AVAILABLE',
  permissionDenied: 'MESHPILOT_ERR_PERMISSION_DENIED',
  caFileInvalid: 'MESHPILOT_ERR_CA_FILE_INVALID',
  caWriteFailed: 'MESHPILOT_ERR_CA_WRITE_FAILED',
  fileUnreadable: 'MESHPILOT_ERR_CONFIG_FILE_UNREADABLE',
} as const;

/** Bind errors as `serve` names them (server/cli/startup-failure.ts). */
const BIND_CODES: Readonly<Record<string, string>> = {
  EADDRINUSE: StartupCheckCode.portInUse,
  EADDRNOTAVAIL: StartupCheckCode.addressNotAvailable,
  EACCES: StartupCheckCode.permissionDenied,
  EPERM: StartupCheckCode.permissionDenied,
};

const PROBE_TIMEOUT_MS = 5_000;

interface Listener {
  readonly key: string;
  readonly text: string;
  readonly address: ListenAddress;
}

/** The listeners `serve` opens with this config: xds (unless off), xdsTls (with `security:`), admin. */
function listeners(config: MeshpilotConfig): Listener[] {
  const wanted: [string, string | false][] = [
    ['listen.xds', config.listen.xds],
    ['listen.xdsTls', config.security !== undefined ? config.listen.xdsTls : false],
    ['listen.admin', config.listen.admin],
  ];
  return wanted.flatMap(([key, text]) => {
    if (text === false) return [];
    const parsed = parseListenAddress(text);
    return parsed.ok ? [{ key, text, address: parsed.value }] : [];
  });
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Two listeners collide when they share a port (not 0) and a host, or one listens on every address. */
function collide(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host);
}

/** Binds the address for a moment: undefined when it could be bound, else the error's code and message. */
function probeBind(address: ListenAddress): Promise<{ code: string; message: string } | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    const timer = setTimeout(() => {
      server.close();
      resolve(undefined);
    }, PROBE_TIMEOUT_MS);
    server.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: error.code ?? 'UNKNOWN', message: errorMessage(error) });
    });
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      clearTimeout(timer);
      server.close(() => resolve(undefined));
    });
  });
}

/** Same port twice (errors), then each remaining fixed port tried on this host (warnings). */
export async function checkListeners(config: MeshpilotConfig): Promise<StartupFindings> {
  const all = listeners(config);
  const errors: ConfigError[] = [];
  const duplicated = new Set<string>();
  for (const [index, listener] of all.entries()) {
    const earlier = all.slice(0, index).find((other) => collide(other.address, listener.address));
    if (earlier === undefined) continue;
    duplicated.add(listener.key).add(earlier.key);
    errors.push({
      path: listener.key,
      message: `${listener.text} uses the port of ${earlier.key} (${earlier.text}); serve would fail to bind it (${StartupCheckCode.portInUse}): give each listener its own port`,
      code: StartupCheckCode.duplicatePort,
    });
  }
  const warnings: ConfigError[] = [];
  for (const listener of all) {
    if (listener.address.port === 0 || duplicated.has(listener.key)) continue;
    const failure = await probeBind(listener.address);
    if (failure === undefined) continue;
    const code = BIND_CODES[failure.code] ?? 'MESHPILOT_ERR_START_FAILED';
    const why =
      failure.code === 'EADDRINUSE'
        ? 'is in use on this host now'
        : `cannot be bound on this host now (${failure.message})`;
    warnings.push({
      path: listener.key,
      message: `${formatListenAddress(listener.address)} ${why}; serve would fail to start with ${code} unless that changes`,
      code,
    });
  }
  return { errors, warnings };
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The nearest folder of `path` (itself included) that exists. */
async function nearestExisting(path: string): Promise<string> {
  let current = path;
  for (let depth = 0; depth < 256; depth += 1) {
    const found = await stat(current).then(
      () => true,
      () => false,
    );
    const parent = dirname(current);
    if (found || parent === current) return current;
    current = parent;
  }
  return current;
}

/**
 * The CA folder as `serve` reads it: the four Istio plug-in CA files read and checked as a CA (the same
 * code as `serve`); none present means serve generates a root there, so the folder must be writable.
 */
export async function checkCaFiles(config: MeshpilotConfig, now: Date): Promise<ConfigError[]> {
  if (config.security === undefined) return [];
  const dir = config.security.caDir;
  try {
    const onDisk = await readCaFiles(dir);
    if (onDisk.kind === 'complete') {
      await validateCaMaterial(dir, onDisk.texts, now);
      return [];
    }
  } catch (error: unknown) {
    const known = codeOf(error);
    const code = known?.startsWith('MESHPILOT_ERR_') ? known : StartupCheckCode.caFileInvalid;
    // SecurityError messages start with their code; the line ends with it already.
    const message = errorMessage(error);
    return [
      {
        path: 'security.caDir',
        message: message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message,
        code,
      },
    ];
  }
  const existing = await nearestExisting(dir);
  const writable = await access(existing, constants.W_OK | constants.X_OK).then(
    () => true,
    (error: unknown) => errorMessage(error),
  );
  if (writable === true) return [];
  return [
    {
      path: 'security.caDir',
      message: `${dir} has no CA files, so serve would generate a root there, but ${existing} is not writable: ${writable}`,
      code: StartupCheckCode.caWriteFailed,
    },
  ];
}

/** Each kubeconfig file named by clusters[].kubeconfig must be readable by this process. */
export async function checkKubeconfigs(config: MeshpilotConfig): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  for (const [index, cluster] of config.clusters.entries()) {
    if (cluster.kubeconfig === undefined) continue;
    const readable = await access(cluster.kubeconfig, constants.R_OK).then(
      () => true,
      (error: unknown) => errorMessage(error),
    );
    if (readable === true) continue;
    errors.push({
      path: `clusters[${index}].kubeconfig`,
      message: `cannot read ${cluster.kubeconfig}: ${readable}`,
      code: StartupCheckCode.fileUnreadable,
    });
  }
  return errors;
}

/** Every check above, for `validate`. */
export async function checkStartup(config: MeshpilotConfig, now = new Date()): Promise<StartupFindings> {
  const ports = await checkListeners(config);
  const files = [...(await checkCaFiles(config, now)), ...(await checkKubeconfigs(config))];
  return { errors: [...ports.errors, ...files], warnings: ports.warnings };
}
