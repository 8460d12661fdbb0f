import { isIP } from 'node:net';
import { resolve } from 'node:path';
import pino from 'pino';
import { AgentError } from './agent-error.ts';
import { WorkloadAgent } from './workload-agent.ts';
import { errorMessage } from '../common/error-message.ts';
import { namespaceProblem, serviceAccountProblem, trustDomainProblem } from '../pki/spiffe.ts';

export interface AgentFlags {
  readonly xdsAddress: string;
  readonly caAddress?: string;
  readonly xdsTls?: boolean;
  readonly tokenFile?: string;
  readonly rootCertFile?: string;
  readonly trustOnFirstUse?: boolean;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podName: string;
  readonly podIp: string;
  readonly clusterId: string;
  readonly network?: string;
  readonly locality?: string;
  readonly trustDomain: string;
  readonly domainSuffix: string;
  readonly outDir: string;
  readonly bootstrapFile?: string;
  readonly ttl: string;
  readonly serverName?: string;
  readonly once?: boolean;
  readonly logLevel?: string;
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "24h", "90m", "30s" or a number of seconds, as whole seconds (at least 1). */
export function parseTtlSeconds(value: string): number {
  const match = DURATION.exec(value.trim());
  if (match === null)
    throw new AgentError(
      'MESHPILOT_ERR_AGENT_FLAGS',
      `--ttl ${JSON.stringify(value)} is not a duration like "24h", "90m" or "30s"`,
    );
  const seconds = Math.floor(Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1));
  if (seconds < 1)
    throw new AgentError('MESHPILOT_ERR_AGENT_FLAGS', `--ttl ${JSON.stringify(value)} is shorter than one second`);
  return seconds;
}

/** region/zone/subzone, any part may be empty. */
function parseLocality(value: string | undefined): { region?: string; zone?: string; sub_zone?: string } | undefined {
  if (value === undefined || value === '') return undefined;
  const [region = '', zone = '', subZone = ''] = value.split('/');
  return { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) };
}

function checkFlags(flags: AgentFlags): void {
  const problems = [
    namespaceProblem(flags.namespace),
    serviceAccountProblem(flags.serviceAccount),
    trustDomainProblem(flags.trustDomain),
    isIP(flags.podIp) === 0 ? `--pod-ip ${JSON.stringify(flags.podIp)} is not an IP address` : undefined,
    flags.podName === '' || flags.podName.includes('~')
      ? `--pod-name ${JSON.stringify(flags.podName)} must be a non-empty pod name without "~"`
      : undefined,
    flags.clusterId === '' ? '--cluster-id is empty' : undefined,
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new AgentError('MESHPILOT_ERR_AGENT_FLAGS', problems.join('; '));
}

/** `meshpilot agent`: returns the exit code (runs until SIGINT/SIGTERM unless --once). */
export async function runAgent(flags: AgentFlags, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const logger = pino({ level: flags.logLevel ?? 'info' }, pino.destination({ dest: 2, sync: true }));
  let agent: WorkloadAgent;
  try {
    checkFlags(flags);
    const ttlSeconds = parseTtlSeconds(flags.ttl);
    const network = flags.network;
    const locality = parseLocality(flags.locality);
    agent = new WorkloadAgent({
      workload: {
        namespace: flags.namespace,
        serviceAccount: flags.serviceAccount,
        podName: flags.podName,
        podIp: flags.podIp,
        kubeCluster: flags.clusterId,
        domainSuffix: flags.domainSuffix,
        ...(network !== undefined ? { network } : {}),
        ...(locality !== undefined ? { locality } : {}),
      },
      trustDomain: flags.trustDomain,
      caAddress: flags.caAddress ?? flags.xdsAddress,
      xdsAddress: flags.xdsAddress,
      xdsCredentials: flags.xdsTls === true ? 'tls' : 'insecure',
      outDir: resolve(flags.outDir),
      ...(flags.bootstrapFile !== undefined ? { bootstrapPath: resolve(flags.bootstrapFile) } : {}),
      ...(flags.tokenFile !== undefined ? { tokenFile: flags.tokenFile } : {}),
      ...(flags.rootCertFile !== undefined ? { rootCertFile: flags.rootCertFile } : {}),
      trustOnFirstUse: flags.trustOnFirstUse === true,
      ttlSeconds,
      ...(flags.serverName !== undefined ? { serverName: flags.serverName } : {}),
      logger,
    });
    await agent.start();
  } catch (error: unknown) {
    stderr.write(`meshpilot agent: ${errorMessage(error)}\n`);
    return 1;
  }
  if (flags.once === true) {
    agent.stop();
    return 0;
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  agent.stop();
  return 0;
}
