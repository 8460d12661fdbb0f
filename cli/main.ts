import { Command, InvalidArgumentError } from 'commander';
import type { AgentFlags } from '../agent/command.ts';
import type { BootstrapFlags } from './bootstrap-command.ts';
import type { AuthSource, CreateRemoteSecretFlags } from './create-remote-secret.ts';
import { OUTPUT_FORMATS, parseOutputFormat, type OutputFormat } from './output.ts';
import {
  PROXY_CONFIG_KINDS,
  parseProxyConfigKind,
  type ProxyConfigFilter,
  type ProxyConfigKind,
} from './proxy-config.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 600_000) throw new InvalidArgumentError('expected milliseconds 0..600000');
  return n;
}

function remoteSecretAuth(value: string): AuthSource {
  const sources: readonly string[] = ['auto', 'secret', 'token-request', 'kubeconfig'];
  if (!sources.includes(value)) throw new InvalidArgumentError(`expected one of ${sources.join(', ')}`);
  return value as AuthSource;
}

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:15014';

const OUTPUT_HELP = 'output format: short (a table), json or yaml';

function outputFormat(value: string): OutputFormat {
  const format = parseOutputFormat(value);
  if (format === undefined) throw new InvalidArgumentError(`expected one of ${OUTPUT_FORMATS.join(', ')}`);
  return format;
}

function bootstrapFormat(value: string): 'json' | 'yaml' {
  if (value !== 'json' && value !== 'yaml') throw new InvalidArgumentError('expected json or yaml');
  return value;
}

function direction(value: string): 'inbound' | 'outbound' {
  if (value !== 'inbound' && value !== 'outbound') throw new InvalidArgumentError('expected inbound or outbound');
  return value;
}

function boolean(value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new InvalidArgumentError('expected true or false');
  return value === 'true';
}

function logFormat(value: string): 'json' | 'text' {
  if (value !== 'json' && value !== 'text') throw new InvalidArgumentError('expected json or text');
  return value;
}

/** serve --processes: 1..64 (more than the machine's cores only adds context switches). */
function processCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected an integer from 1 to 64');
  return n;
}

function proxyConfigKind(value: string): ProxyConfigKind {
  const kind = parseProxyConfigKind(value);
  if (kind === undefined)
    throw new InvalidArgumentError(`expected one of ${PROXY_CONFIG_KINDS.join(', ')} (singular, plural or short)`);
  return kind;
}

/** Admin-reading commands print a one-line error (never a stack) and exit 1. */
async function reportAdminErrors(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error: unknown) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The `meshpilot` command line. Each subcommand loads its own module so start-up stays light. */
export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}

/** Every command and flag of `meshpilot` (tests read it to check one flag name per concept). */
export function buildProgram(): Command {
  const program = new Command('meshpilot')
    .description('Hosted multi-cluster xDS control plane')
    .showHelpAfterError()
    .exitOverride((error) => {
      process.exit(error.exitCode);
    });

  program
    .command('serve')
    .description('run the control plane')
    .requiredOption('--config <file>', 'meshpilot.yaml')
    .option('--xds <host:port>', 'plaintext ADS listen address (overrides listen.xds; "off" disables)')
    .option('--admin <host:port>', 'admin HTTP listen address (overrides listen.admin)')
    .option('--log-format <format>', 'json (default) or text (human-readable lines)', logFormat)
    .option(
      '--processes <n>',
      'stream-serving processes sharing the listening ports (node:cluster; default 1: this process serves)',
      processCount,
    )
    .action(
      async (flags: {
        config: string;
        xds?: string;
        admin?: string;
        logFormat?: 'json' | 'text';
        processes?: number;
      }) => {
        const { runServe } = await import('../server/cli/serve-command.ts');
        const code = await runServe(flags);
        // A failed start may leave a half-bound listener holding the event loop: exit now.
        if (code !== 0) process.exit(code);
      },
    );

  program
    .command('demo')
    .description(
      'the control plane on a demo mesh plus live workloads on loopback: helloworld servers, sidecars, east-west gateways and a proxyless gRPC client (npm start)',
    )
    .requiredOption('--config <file>', 'meshpilot.yaml of the demo mesh (examples/demo/meshpilot.yaml)')
    .option('--workloads <file>', 'the workloads to run (default: demo.yaml beside the config)')
    .option('--xds <host:port>', 'plaintext ADS listen address (overrides listen.xds)')
    .option('--admin <host:port>', 'admin HTTP listen address (overrides listen.admin)')
    .option('--log-format <format>', 'text (default) or json', logFormat)
    .option('--log-level <level>', "the control plane's log level (default warn, so the demo's own lines stand out)")
    .option('--report-every <ms>', "how often the gRPC client's RPC tally is printed", milliseconds, 10_000)
    .action(
      async (flags: {
        config: string;
        workloads?: string;
        xds?: string;
        admin?: string;
        logFormat?: 'json' | 'text';
        logLevel?: string;
        reportEvery: number;
      }) => {
        const { runDemo } = await import('../demo/command.ts');
        const { reportEvery, ...rest } = flags;
        const code = await runDemo({ ...rest, reportEveryMs: Math.max(reportEvery, 100) });
        process.exit(code);
      },
    );

  program
    .command('validate')
    .description('check a config file and the manifests it references; print every error')
    .requiredOption('--config <file>', 'meshpilot.yaml')
    .option(
      '--proxy-output',
      'also translate the mesh (manifest folders) for representative proxies and check every resource against validate.rules',
    )
    .action(async (flags: { config: string; proxyOutput?: boolean }) => {
      const { runValidate } = await import('../server/cli/validate-command.ts');
      process.exitCode = await runValidate(flags.config, process.stdout, { proxyOutput: flags.proxyOutput === true });
    });

  program
    .command('kube-sim')
    .description('run a Kubernetes API server simulator (HTTPS, bearer token, list/watch) for tests and demos')
    .requiredOption('--manifests <dir>', 'folder of Kubernetes YAML manifests to load')
    .requiredOption('--kubeconfig-out <file>', 'where to write a kubeconfig for the simulator')
    .option('--port <n>', 'HTTPS port (default: ephemeral)', port)
    .option('--host <ip>', 'listen address', '127.0.0.1')
    .option(
      '--advertise-address <host>',
      'server address written into the kubeconfig (e.g. a compose service name when listening on 0.0.0.0)',
    )
    .action(
      async (flags: {
        manifests: string;
        kubeconfigOut: string;
        port?: number;
        host: string;
        advertiseAddress?: string;
      }) => {
        const { runKubeSimCommand } = await import('../kube-sim/command.ts');
        const options = {
          manifests: flags.manifests,
          kubeconfigOut: flags.kubeconfigOut,
          host: flags.host,
          ...(flags.port !== undefined ? { port: flags.port } : {}),
        };
        if (flags.advertiseAddress === undefined) {
          await runKubeSimCommand(options);
          return;
        }
        const { runAdvertisedKubeSim } = await import('../kube-sim/advertise.ts');
        await runAdvertisedKubeSim({ ...options, advertiseAddress: flags.advertiseAddress }, runKubeSimCommand);
      },
    );

  program
    .command('proxy-status')
    .description(
      'each connected proxy (or the one named), its kube cluster, and CDS/LDS/EDS/RDS/SDS as SYNCED, STALE, NACKED or NOT SENT',
    )
    .argument('[proxy]', 'only this proxy: node id, <pod>.<namespace> or pod name')
    .option('--admin <url>', 'meshpilot admin URL', DEFAULT_ADMIN_URL)
    .option('-o, --output <format>', OUTPUT_HELP, outputFormat, 'short')
    .action(async (proxy: string | undefined, flags: { admin: string; output: OutputFormat }) => {
      const { runProxyStatus } = await import('./proxy-status.ts');
      process.exitCode = await reportAdminErrors(() =>
        runProxyStatus(flags.admin, process.stdout, flags.output, proxy),
      );
    });

  program
    .command('proxy-config')
    .description('what meshpilot sent one proxy: clusters, endpoints, listeners, routes, secret, or all')
    .argument(
      '<kind>',
      'cluster(s) | endpoint(s) | listener(s) | route(s) | secret(s) | all (or c, ep, l, r, s)',
      proxyConfigKind,
    )
    .argument('<proxy>', 'node id, <pod>.<namespace> or pod name, as proxy-status lists them')
    .option('--admin <url>', 'meshpilot admin URL', DEFAULT_ADMIN_URL)
    .option('-o, --output <format>', OUTPUT_HELP, outputFormat, 'short')
    .option('--fqdn <fqdn>', 'clusters, endpoints: only Envoy clusters whose service FQDN contains this')
    .option('--port <port>', 'clusters, endpoints, listeners: only this port', port)
    .option('--direction <direction>', 'clusters, endpoints: inbound or outbound', direction)
    .option('--subset <subset>', 'clusters, endpoints: only this subset')
    .action(
      async (
        kind: ProxyConfigKind,
        proxy: string,
        flags: { admin: string; output: OutputFormat } & ProxyConfigFilter,
      ) => {
        const { runProxyConfig } = await import('./proxy-config.ts');
        const { admin, output, ...filter } = flags;
        process.exitCode = await reportAdminErrors(() =>
          runProxyConfig(admin, kind, proxy, process.stdout, output, filter),
        );
      },
    );

  program
    .command('explain')
    .description(
      'why each endpoint of a service has the address and priority a proxy sees (local, rewritten to a gateway, or dropped)',
    )
    .requiredOption('--proxy <proxy>', 'a connected proxy: node id, <pod>.<namespace> or pod name')
    .requiredOption('--service <name>', 'service FQDN or name.namespace')
    .option('--admin <url>', 'meshpilot admin URL', DEFAULT_ADMIN_URL)
    .option('-o, --output <format>', OUTPUT_HELP, outputFormat, 'short')
    .action(async (flags: { proxy: string; service: string; admin: string; output: OutputFormat }) => {
      const { runExplain } = await import('./explain.ts');
      process.exitCode = await reportAdminErrors(() =>
        runExplain(flags.admin, flags.proxy, flags.service, process.stdout, flags.output),
      );
    });

  program
    .command('remote-clusters')
    .description(
      'every member kube cluster meshpilot reads, its source, network and sync status (istioctl x remote-clusters)',
    )
    .option('--admin <url>', 'meshpilot admin URL', DEFAULT_ADMIN_URL)
    .option('-o, --output <format>', OUTPUT_HELP, outputFormat, 'short')
    .action(async (flags: { admin: string; output: OutputFormat }) => {
      const { runRemoteClusters } = await import('./remote-clusters.ts');
      process.exitCode = await reportAdminErrors(() => runRemoteClusters(flags.admin, process.stdout, flags.output));
    });

  program
    .command('version')
    .description("this meshpilot's version and the control plane's (istioctl version)")
    .option('--admin <url>', 'meshpilot admin URL', DEFAULT_ADMIN_URL)
    .option('--remote <bool>', 'also ask the control plane (false: the client only)', boolean, true)
    .option('-o, --output <format>', OUTPUT_HELP, outputFormat, 'short')
    .action(async (flags: { admin: string; remote: boolean; output: OutputFormat }) => {
      const { runVersion } = await import('./version.ts');
      process.exitCode = await runVersion(flags.admin, flags.remote, process.stdout, process.stderr, flags.output);
    });

  program
    .command('agent')
    .description(
      'get and rotate a workload certificate over the CSR API and write a gRPC xDS bootstrap (proxyless gRPC)',
    )
    .requiredOption(
      '--xds-address <host:port>',
      'meshpilot xDS address written into the bootstrap (15010 plaintext, or 15012 with --xds-tls)',
    )
    .option('--ca-address <host:port>', 'CreateCertificate address, the TLS xDS port (default: --xds-address)')
    .option('--xds-tls', 'bootstrap connects to xDS with mTLS ("tls" channel creds; not read by grpc-js-xds 1.14)')
    .option('--token-file <file>', 'Kubernetes service-account token (authorization: Bearer)')
    .option('--root-cert-file <file>', 'mesh root certificate to trust the control plane with')
    .option('--trust-on-first-use', 'without --root-cert-file, accept the root the first CreateCertificate returns')
    .requiredOption('--namespace <ns>', 'workload namespace')
    .requiredOption('--service-account <sa>', 'workload service account')
    .requiredOption('--pod-name <name>', 'pod name (node id)')
    .requiredOption('--pod-ip <ip>', 'pod IP (node id)')
    .requiredOption('--cluster-id <name>', 'kube cluster of the pod (CLUSTER_ID)')
    .option('--network <name>', 'network of the pod (NETWORK)')
    .option('--locality <region/zone/subzone>', 'locality of the pod')
    .option('--trust-domain <domain>', 'SPIFFE trust domain', 'cluster.local')
    .option('--domain-suffix <suffix>', 'service domain suffix (node id)', 'cluster.local')
    .requiredOption('--out-dir <dir>', 'where cert-chain.pem, key.pem, root-cert.pem and grpc-bootstrap.json go')
    .option('--bootstrap-file <file>', 'bootstrap path (default: <out-dir>/grpc-bootstrap.json)')
    .option('--ttl <duration>', 'requested certificate lifetime, e.g. 24h, 90m, 30s', '24h')
    .option('--server-name <name>', 'TLS name to check the control plane certificate against')
    .option('--once', 'exit after writing the first certificate and the bootstrap')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: AgentFlags) => {
      const { runAgent } = await import('../agent/command.ts');
      process.exitCode = await runAgent(flags);
    });

  program
    .command('bootstrap')
    .description(
      'print (or write) the Envoy bootstrap JSON of a sidecar or east-west gateway, checked against validate.rules',
    )
    .requiredOption('--type <type>', 'sidecar | router (router = east-west gateway, ROUTER_MODE sni-dnat)')
    .option('--node-id <id>', 'node.id (default <type>~<pod-ip>~<pod-name>.<ns>~<ns>.svc.<suffix>)')
    .requiredOption('--pod-ip <ip>', 'pod IP')
    .requiredOption('--pod-name <name>', 'pod name')
    .requiredOption('--namespace <ns>', 'pod namespace')
    .requiredOption('--service-account <sa>', 'pod service account')
    .requiredOption('--cluster-id <name>', 'kube cluster of the pod (CLUSTER_ID)')
    .option('--network <name>', 'network of the pod (NETWORK)')
    .option('--region <region>', 'locality region')
    .option('--zone <zone>', 'locality zone')
    .option('--sub-zone <subzone>', 'locality sub-zone')
    .option('--label <key=value>', 'pod label (LABELS); repeatable', (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option('--app <name>', 'node.cluster is <app>.<namespace> (default: the app label, else the pod name)')
    .option('--domain-suffix <suffix>', 'service domain suffix (node id)', 'cluster.local')
    .option(
      '--requested-network-view <networks>',
      'comma-separated networks a gateway may see (REQUESTED_NETWORK_VIEW)',
    )
    .requiredOption('--xds-address <host:port>', 'meshpilot ADS address: 15010 plaintext, or 15012 with --tls')
    .option('--tls', 'connect to meshpilot over TLS (port 15012)')
    .option(
      '--root-cert-file <file>',
      'with --tls: root certificate file Envoy trusts meshpilot with (path as Envoy sees it)',
    )
    .option(
      '--xds-server-name <name>',
      'with --tls: SNI for meshpilot (default: the --xds-address host when it is a name)',
    )
    .option(
      '--token-file <file>',
      'service-account token sent as "authorization: Bearer" on the ADS stream (15012 needs it for SDS "default")',
    )
    .option('--admin-address <host:port>', 'Envoy admin listen address', '127.0.0.1:15000')
    .option('-o, --output <format>', 'json (default) or yaml', bootstrapFormat, 'json')
    .option('--output-file <file>', 'write the bootstrap to this file instead of stdout')
    .action(
      async (
        flags: Omit<BootstrapFlags, 'output' | 'format' | 'rootCert'> & {
          output: 'json' | 'yaml';
          outputFile?: string;
          rootCertFile?: string;
        },
      ) => {
        const { runBootstrapCommand } = await import('./bootstrap-command.ts');
        const { output, outputFile, rootCertFile, ...rest } = flags;
        process.exitCode = await runBootstrapCommand(
          {
            ...rest,
            format: output,
            ...(outputFile !== undefined ? { output: outputFile } : {}),
            ...(rootCertFile !== undefined ? { rootCert: rootCertFile } : {}),
          },
          process.stdout,
          process.stderr,
        );
      },
    );

  program
    .command('create-remote-secret')
    .description(
      "print an Istio remote secret (istio/multiCluster=true) holding a kubeconfig for a member kube cluster's reader service account",
    )
    .option('--kubeconfig <file>', "the member cluster's kubeconfig (default: $KUBECONFIG, else ~/.kube/config)")
    .option('--context <name>', "kubeconfig context (default: the kubeconfig's current context)")
    .requiredOption('--name <cluster>', 'kube cluster name (CLUSTER_ID), the data key of the secret')
    .option('--namespace <ns>', 'namespace of the reader service account and of the secret', 'istio-system')
    .option('--server <url>', "API server URL written into the secret (default: the kubeconfig's)")
    .option('--service-account <sa>', 'reader service account (deploy/member-cluster/)', 'meshpilot-reader')
    .option('--auth <source>', 'auto | secret | token-request | kubeconfig', remoteSecretAuth, 'auto')
    .option(
      '--token-wait <ms>',
      'how long to wait for the token controller to fill the token Secret',
      milliseconds,
      10_000,
    )
    .action(async (flags: Omit<CreateRemoteSecretFlags, 'tokenWaitMs'> & { tokenWait: number }) => {
      const { runCreateRemoteSecret } = await import('./create-remote-secret.ts');
      const { tokenWait, ...rest } = flags;
      process.exitCode = await runCreateRemoteSecret(
        { ...rest, tokenWaitMs: tokenWait },
        process.stdout,
        process.stderr,
      );
    });

  return program;
}
