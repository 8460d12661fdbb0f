import { setLogger } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../config/load.ts';
import type { MeshpilotConfig } from '../config/schema.ts';
import { startRuntime, type Runtime } from '../runtime.ts';
import { startupFailureLine } from './startup-failure.ts';
import { textLogDestination } from './text-log.ts';

export type LogFormat = 'json' | 'text';

export interface ServeFlags {
  readonly config: string;
  readonly xds?: string;
  readonly admin?: string;
  /** json (pino, the default) or text (one human-readable line per record). */
  readonly logFormat?: LogFormat;
}

function createLogger(level: string, format: LogFormat): Logger {
  return format === 'text' ? pino({ level }, textLogDestination()) : pino({ level });
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
  const logger = createLogger(logLevel ?? loaded.config.logLevel, flags.logFormat ?? 'json');
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
  const started = await startServe(flags);
  if (!started.ok) return started.exitCode;
  const signal = await untilStopSignal();
  started.logger.info({ signal }, 'shutting down');
  await started.runtime.stop();
  return 0;
}
