import { dirname, join } from 'node:path';
import { errorMessage } from '../common/error-message.ts';
import { startServe, untilStopSignal, type LogFormat } from '../server/cli/serve-command.ts';
import { DemoAdsProxy } from './ads-proxy.ts';
import { loadDemoFile, type DemoFile } from './demo-file.ts';
import { startGreeter, type Greeter } from './greeter.ts';
import { DemoGrpcCaller, type RpcTally } from './grpc-client.ts';

export interface DemoFlags {
  readonly config: string;
  /** The workloads; default: demo.yaml beside the config. */
  readonly workloads?: string;
  readonly xds?: string;
  readonly admin?: string;
  readonly logFormat?: LogFormat;
  readonly logLevel?: string;
  /** How often the gRPC client's tally is printed. */
  readonly reportEveryMs?: number;
}

type Out = { write(text: string): void };

const DEFAULT_ADMIN_PORT = 15014;
/** Shutdown never hangs the terminal: after this long the process exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

function hostOf(address: string): string {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export function tallyLine(id: string, tally: RpcTally): string {
  const servers = Object.entries(tally.byServer)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([server, count]) => `${server} ${count}`)
    .join(', ');
  const failed = tally.failed > 0 ? `, ${tally.failed} failed (last: ${tally.lastError ?? '?'})` : ', 0 failed';
  return `grpc client ${id}: ${tally.ok} RPCs ok${servers ? ` (${servers})` : ''}${failed}\n`;
}

function podName(id: string): string {
  return id.split('~')[2] ?? id;
}

function banner(demo: DemoFile, xds: string, adminUrl: string, proxies: readonly DemoAdsProxy[]): string {
  const adminFlag = adminUrl === `http://127.0.0.1:${DEFAULT_ADMIN_PORT}` ? '' : ` --admin ${adminUrl}`;
  const client = demo.grpcClient;
  const lines = [
    'meshpilot demo: the seed mesh on loopback, with live workloads',
    `  control plane  ADS ${xds}, admin ${adminUrl}`,
    `  helloworld     ${demo.backends.map((b) => `${b.address}:${b.port}`).join(', ')}`,
    ...proxies.map(
      (p, i) =>
        `  ${i === 0 ? 'proxies      ' : '             '}  ${demo.proxies[i]!.type} ${podName(p.id)} (${demo.proxies[i]!.clusterId}, ${demo.proxies[i]!.network})`,
    ),
    ...(client
      ? [
          `  gRPC client    ${client.podName}.${client.namespace} (${client.clusterId}, ${client.network}) calls ${client.target} every ${client.intervalMs} ms`,
        ]
      : []),
    '',
    'Try first (meshpilot = node bin/meshpilot.js):',
    `  meshpilot proxy-status${adminFlag}`,
    ...(client
      ? [
          `  meshpilot explain --proxy ${client.podName}.${client.namespace} --service ${client.target.replace(/^xds:\/\/\/([^.]+)\.([^.]+)\..*$/, '$1.$2')}${adminFlag}`,
        ]
      : []),
    `  ${adminUrl}/ui`,
    'Ctrl-C stops the demo.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `meshpilot demo` (what `npm start` runs): the control plane on the demo mesh plus its workloads on
 * loopback: helloworld gRPC servers, Envoy-like sidecars and east-west gateways that ACK what they get,
 * and a proxyless gRPC client making real RPCs. Prints the commands to try, the client's tally now and
 * then, and stops everything on Ctrl-C (SIGINT) or SIGTERM.
 */
export async function runDemo(flags: DemoFlags, out: Out = process.stdout): Promise<number> {
  let demo: DemoFile;
  try {
    demo = await loadDemoFile(flags.workloads ?? join(dirname(flags.config), 'demo.yaml'));
  } catch (error: unknown) {
    process.stderr.write(`${errorMessage(error)}\n`);
    return 1;
  }
  const started = await startServe({ ...flags, logFormat: flags.logFormat ?? 'text' }, flags.logLevel ?? 'warn');
  if (!started.ok) return started.exitCode;
  const { runtime, logger, config } = started;
  const greeters: Greeter[] = [];
  const proxies: DemoAdsProxy[] = [];
  let caller: DemoGrpcCaller | undefined;
  let report: NodeJS.Timeout | undefined;

  const stopAll = async (): Promise<void> => {
    clearInterval(report);
    caller?.close();
    for (const proxy of proxies) proxy.close();
    await Promise.all(greeters.map((g) => g.stop()));
    await runtime.stop();
  };

  try {
    if (runtime.xdsPort === undefined) throw new Error('the demo needs the plaintext ADS port (do not pass --xds off)');
    const xdsListen = flags.xds ?? (config.listen.xds === false ? '127.0.0.1:0' : config.listen.xds);
    const xdsAddress = `${hostOf(xdsListen)}:${runtime.xdsPort}`;
    const adminUrl = `http://${hostOf(flags.admin ?? config.listen.admin)}:${runtime.adminPort}`;
    for (const backend of demo.backends) {
      const greeter = await startGreeter(backend.address, backend.port).catch((error: unknown) => {
        throw new Error(
          `helloworld server ${backend.address}:${backend.port}: ${errorMessage(error)} (is another meshpilot demo running?)`,
        );
      });
      greeters.push(greeter);
    }
    for (const proxy of demo.proxies) proxies.push(new DemoAdsProxy(xdsAddress, proxy));
    if (demo.grpcClient) caller = new DemoGrpcCaller(xdsAddress, demo.grpcClient);
    out.write(banner(demo, xdsAddress, adminUrl, proxies));
    const reportedEnds = new Set<string>();
    report = setInterval(() => {
      if (caller) out.write(tallyLine(podName(caller.id), caller.tally()));
      for (const proxy of proxies) {
        if (proxy.endedWith && !reportedEnds.has(proxy.id)) {
          reportedEnds.add(proxy.id);
          out.write(`proxy ${podName(proxy.id)}: meshpilot ended its stream (${proxy.endedWith})\n`);
        }
      }
    }, flags.reportEveryMs ?? 10_000);
  } catch (error: unknown) {
    process.stderr.write(`MESHPILOT_ERR_DEMO_START: ${errorMessage(error)}\n`);
    await stopAll().catch(() => {});
    return 1;
  }

  const signal = await untilStopSignal();
  logger.info({ signal }, 'shutting down');
  out.write(`\n${signal}: stopping the demo\n`);
  // A second Ctrl-C, or a shutdown that hangs, ends the process at once.
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  const guard = setTimeout(() => {
    process.stderr.write(`MESHPILOT_ERR_DEMO_STOP: not stopped within ${STOP_TIMEOUT_MS} ms; exiting\n`);
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  guard.unref();
  if (caller) out.write(tallyLine(podName(caller.id), caller.tally()));
  await stopAll();
  clearTimeout(guard);
  process.off('SIGINT', force);
  out.write('demo stopped\n');
  return 0;
}
