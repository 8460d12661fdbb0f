import pino from 'pino';
import { loadConfig } from '../config/load.ts';
import { startRuntime } from '../runtime.ts';

export interface ServeFlags {
  readonly config: string;
  readonly xds?: string;
  readonly admin?: string;
}

/** `meshpilot serve`: runs until SIGINT/SIGTERM. Returns the exit code on a config error. */
export async function runServe(flags: ServeFlags): Promise<number> {
  const loaded = await loadConfig(flags.config);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${error.path}: ${error.message} [${error.code}]\n`);
    process.stderr.write(`${flags.config}: ${loaded.errors.length} error(s); not starting\n`);
    return 1;
  }
  const logger = pino({ level: loaded.config.logLevel });
  const runtime = await startRuntime(loaded.config, {
    logger,
    ...(flags.xds !== undefined ? { xdsAddress: flags.xds === 'off' ? false : flags.xds } : {}),
    ...(flags.admin !== undefined ? { adminAddress: flags.admin } : {}),
  });
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
