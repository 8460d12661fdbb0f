import { setLogger } from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../config/load.ts';
import { startRuntime } from '../runtime.ts';
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

/**
 * `meshpilot serve`: runs until SIGINT/SIGTERM. A config error prints every problem; a start-up failure
 * (a port in use, an unreadable CA folder, a kubeconfig meshpilot cannot use) prints one coded line,
 * never a stack trace. Both return exit code 1.
 */
export async function runServe(flags: ServeFlags): Promise<number> {
  const loaded = await loadConfig(flags.config);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${error.path}: ${error.message} [${error.code}]\n`);
    process.stderr.write(`${flags.config}: ${loaded.errors.length} error(s); not starting\n`);
    return 1;
  }
  const logger = createLogger(loaded.config.logLevel, flags.logFormat ?? 'json');
  // grpc-js writes its own errors to stderr (a failed bind before ours); they go to the log at debug.
  const grpcLog = (...args: unknown[]): void => logger.debug({ component: 'grpc-js' }, args.map(String).join(' '));
  setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
  let runtime: Awaited<ReturnType<typeof startRuntime>>;
  try {
    runtime = await startRuntime(loaded.config, {
      logger,
      ...(flags.xds !== undefined ? { xdsAddress: flags.xds === 'off' ? false : flags.xds } : {}),
      ...(flags.admin !== undefined ? { adminAddress: flags.admin } : {}),
    });
  } catch (error: unknown) {
    process.stderr.write(`${startupFailureLine(error)}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await runtime.stop();
  return 0;
}
