import { setLogger } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../config/load.ts';
import type { MeshpilotConfig } from '../config/schema.ts';
import { startRuntime, type Runtime } from '../runtime.ts';
import { runServePrimary, serveWorkerIndex, type WorkerServing } from './serve-processes.ts';
import { startupFailureLine } from './startup-failure.ts';
import { textLogDestination } from './text-log.ts';

export type LogFormat = 'json' | 'text';

export interface ServeFlags {
  readonly config: string;
  readonly xds?: string;
  readonly admin?: string;
  /** json (pino, the default) or text (one human-readable line per record). */
  readonly logFormat?: LogFormat;
  /** Stream-serving processes behind the same ports (serve-processes.ts); 1 (the default): this process serves. */
  readonly processes?: number;
}

/** A `--processes` worker's records say which worker wrote them (field and message prefix). */
function createLogger(level: string, format: LogFormat, worker?: number): Logger {
  const options =
    worker === undefined ? { level } : { level, msgPrefix: `worker ${worker}: `, mixin: () => ({ worker }) };
  return format === 'text' ? pino(options, textLogDestination()) : pino(options);
}

/** A started control plane, or the exit code of a start that failed (its errors already printed). */
export type ServeStart =
  { ok: true; runtime: Runtime; logger: Logger; config: MeshpilotConfig } | { ok: false; exitCode: number };

/**
 * Loads the config and starts the control plane. A config error prints every problem; a start-up
 * failure (a port in use, an unreadable CA folder, a kubeconfig meshpilot cannot use) prints one coded
 * line, never a stack trace. Both give exit code 1. `serve` and `demo` start this way.
 */
export async function startServe(flags: ServeFlags, logLevel?: string): Promise<ServeStart> {
  const loaded = await loadConfig(flags.config);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${error.path}: ${error.message} [${error.code}]\n`);
    process.stderr.write(`${flags.config}: ${loaded.errors.length} error(s); not starting\n`);
    return { ok: false, exitCode: 1 };
  }
  const logger = createLogger(logLevel ?? loaded.config.logLevel, flags.logFormat ?? 'json', serveWorkerIndex());
  // grpc-js writes its own errors to stderr (a failed bind before ours); they go to the log at debug.
  const grpcLog = (...args: unknown[]): void => logger.debug({ component: 'grpc-js' }, args.map(String).join(' '));
  setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
  try {
    const runtime = await startRuntime(loaded.config, {
      logger,
      ...(flags.xds !== undefined ? { xdsAddress: flags.xds === 'off' ? false : flags.xds } : {}),
      ...(flags.admin !== undefined ? { adminAddress: flags.admin } : {}),
    });
    return { ok: true, runtime, logger, config: loaded.config };
  } catch (error: unknown) {
    process.stderr.write(`${startupFailureLine(error)}\n`);
    return { ok: false, exitCode: 1 };
  }
}

/** Resolves with the signal's name at the first SIGINT or SIGTERM. */
export function untilStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/** `meshpilot serve`: runs until SIGINT/SIGTERM; exit code 1 when it cannot start (see startServe). */
export async function runServe(flags: ServeFlags): Promise<number> {
  const processes = flags.processes ?? 1;
  const worker = serveWorkerIndex();
  if (processes > 1 && worker === undefined)
    return runServePrimary(flags.config, processes, createLogger('info', flags.logFormat ?? 'json'), untilStopSignal);
  const started = await startServe(flags);
  if (!started.ok) return started.exitCode;
  if (worker !== undefined) {
    const { runtime, config } = started;
    const at = (address: string | false, port: number | undefined): string =>
      address === false || port === undefined ? 'off' : `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
    const serving: WorkerServing = {
      type: 'meshpilot-serving',
      xds: at(flags.xds === 'off' ? false : (flags.xds ?? config.listen.xds), runtime.xdsPort),
      admin: at(flags.admin ?? config.listen.admin, runtime.adminPort),
    };
    process.send?.(serving);
  }
  const signal = await untilStopSignal();
  started.logger.info({ signal }, 'shutting down');
  await started.runtime.stop();
  return 0;
}
