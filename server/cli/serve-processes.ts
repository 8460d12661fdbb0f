import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.ts';

/**
 * `meshpilot serve --processes N` (N ≥ 2): N stream-serving processes behind the same ports, so
 * ADS streams use every core instead of one Node.js main thread. node:cluster's primary owns the
 * listening sockets and hands each new connection to a worker in turn (grpc-js listens through
 * net, which cluster shares); each worker runs the whole control plane (its own registry watches,
 * snapshot and encoded cache) and serves the streams it was handed. The primary only starts,
 * watches and stops the workers: it logs "meshpilot serving" once every worker serves, and if one
 * exits it stops the others and exits 1 (a supervisor restarts the whole).
 *
 * Each worker's admin answers describe that worker (its streams in /debug/syncz, its metrics),
 * and each worker watches every member API server: N× the watch connections. Not with `security`
 * (each worker would mint its own CA and serving certificate).
 */

export const WORKER_ENV = 'MESHPILOT_SERVE_WORKER';

/** What a worker tells the primary once it serves. */
export interface WorkerServing {
  readonly type: 'meshpilot-serving';
  readonly xds: string;
  readonly admin: string;
}

export function isWorkerServing(message: unknown): message is WorkerServing {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'meshpilot-serving'
  );
}

/** This process's worker index when it is a `--processes` worker, else undefined. */
export function serveWorkerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(process.env[WORKER_ENV]);
  return Number.isInteger(index) && index > 0 ? index : undefined;
}

export class ServeProcessesError extends Error {
  readonly code = 'MESHPILOT_ERR_SERVE_PROCESSES';
}

/** Why a config cannot be served by several processes, or undefined when it can. */
export function processesRefusal(config: { readonly security?: unknown }): string | undefined {
  return config.security !== undefined
    ? 'security is configured: each process would mint its own CA and serving certificate; serve it with one process'
    : undefined;
}

const STOP_GRACE_MS = 10_000;

async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          const timer = setTimeout(() => {
            worker.process.kill('SIGKILL');
            resolve();
          }, STOP_GRACE_MS);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * The primary of `serve --processes N`: forks N workers running `serve` with the same flags, waits
 * until each serves, then until SIGINT/SIGTERM (stops them, exit 0) or a worker's exit (stops the
 * rest, exit 1).
 */
export async function runServePrimary(
  configPath: string,
  processes: number,
  logger: Logger,
  untilStopSignal: () => Promise<string>,
): Promise<number> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${error.path}: ${error.message} [${error.code}]\n`);
    process.stderr.write(`${configPath}: ${loaded.errors.length} error(s); not starting\n`);
    return 1;
  }
  const refusal = processesRefusal(loaded.config);
  if (refusal !== undefined) {
    process.stderr.write(`serve --processes ${processes}: ${refusal} [MESHPILOT_ERR_SERVE_PROCESSES]\n`);
    return 1;
  }
  const workers: Worker[] = [];
  let exited: ((reason: string) => void) | undefined;
  const workerExit = new Promise<string>((resolve) => (exited = resolve));
  const serving: Promise<WorkerServing>[] = [];
  for (let index = 1; index <= processes; index += 1) {
    const worker = cluster.fork({ [WORKER_ENV]: String(index) });
    workers.push(worker);
    serving.push(
      new Promise<WorkerServing>((resolve, reject) => {
        worker.on('message', (message: unknown) => {
          if (isWorkerServing(message)) resolve(message);
        });
        worker.once('exit', (code, signal) => {
          const reason = `worker ${index} (pid ${worker.process.pid ?? '?'}) exited (code ${String(code)}, signal ${String(signal)})`;
          reject(new ServeProcessesError(reason));
          exited?.(reason);
        });
      }),
    );
  }
  let ports: WorkerServing;
  try {
    [ports] = (await Promise.all(serving)) as [WorkerServing, ...WorkerServing[]];
  } catch (error: unknown) {
    await stopWorkers(workers);
    process.stderr.write(
      `serve --processes ${processes}: ${error instanceof Error ? error.message : String(error)} before serving [MESHPILOT_ERR_SERVE_PROCESSES]\n`,
    );
    return 1;
  }
  logger.info(
    { xds: ports.xds, admin: ports.admin, processes, workers: workers.map((w) => w.process.pid) },
    'meshpilot serving',
  );
  const outcome = await Promise.race([
    untilStopSignal().then((signal) => ({ signal })),
    workerExit.then((reason) => ({ reason })),
  ]);
  if ('signal' in outcome) logger.info({ signal: outcome.signal }, 'shutting down');
  else logger.error({ code: 'MESHPILOT_ERR_SERVE_PROCESSES', reason: outcome.reason }, 'a worker exited: stopping');
  await stopWorkers(workers);
  return 'signal' in outcome ? 0 : 1;
}
