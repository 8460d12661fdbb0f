import { Command, InvalidArgumentError } from 'commander';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

/** The `meshpilot` command line. Each subcommand loads its own module so start-up stays light. */
export async function main(argv: readonly string[]): Promise<void> {
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
    .action(async (flags: { config: string; xds?: string; admin?: string }) => {
      const { runServe } = await import('./serve-command.ts');
      process.exitCode = await runServe(flags);
    });

  program
    .command('validate')
    .description('check a config file and the manifests it references; print every error')
    .requiredOption('--config <file>', 'meshpilot.yaml')
    .action(async (flags: { config: string }) => {
      const { runValidate } = await import('./validate-command.ts');
      process.exitCode = await runValidate(flags.config, process.stdout);
    });

  program
    .command('kube-sim')
    .description('run a Kubernetes API server simulator (HTTPS, bearer token, list/watch) for tests and demos')
    .requiredOption('--manifests <dir>', 'folder of Kubernetes YAML manifests to load')
    .requiredOption('--kubeconfig-out <file>', 'where to write a kubeconfig for the simulator')
    .option('--port <n>', 'HTTPS port (default: ephemeral)', port)
    .option('--host <ip>', 'listen address', '127.0.0.1')
    .action(async (flags: { manifests: string; kubeconfigOut: string; port?: number; host: string }) => {
      const { runKubeSimCommand } = await import('../kube-sim/command.ts');
      await runKubeSimCommand({ manifests: flags.manifests, kubeconfigOut: flags.kubeconfigOut, host: flags.host, ...(flags.port !== undefined ? { port: flags.port } : {}) });
    });

  await program.parseAsync([...argv]);
}
