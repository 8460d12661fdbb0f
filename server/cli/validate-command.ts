import { dirname, relative, resolve, sep } from 'node:path';
import type { ConfigError } from '../config/config-error.ts';
import { loadOfflineMesh } from './offline-mesh.ts';
import { representativeViews, validateProxyOutput } from './validate-output.ts';
import { loadConfig } from '../config/load.ts';
import { readManifestFolder } from '../config/manifests.ts';
import { checkStartup } from './startup-checks.ts';

/** Where `validate` prints. Every call is one whole line ending in "\n", so `process.stdout` fits. */
export type LineWriter = { write(line: string): void };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function printErrors(errors: readonly ConfigError[], out: LineWriter): void {
  for (const error of errors) out.write(`${error.path}: ${error.message} [${error.code}]\n`);
}

/** A folder as the user would name it next to the config file: `cluster-a`, `istio`, `../shared/x`. */
function folderLabel(configDir: string, folder: string): string {
  const label = relative(configDir, folder).split(sep).join('/');
  return label === '' ? '.' : label;
}

/**
 * `meshpilot validate --config FILE`: checks the config, then every manifests folder it references
 * (clusters[].manifests, config[].manifests), prints every error as `<path>: <message> [<code>]` and a
 * summary line. Returns the process exit code: 1 on any error, else 0.
 */
export async function runValidate(
  configPath: string,
  out: LineWriter,
  options: { proxyOutput?: boolean } = {},
): Promise<number> {
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    printErrors(loaded.errors, out);
    out.write(
      `${configPath}: validation failed: ${plural(loaded.errors.length, 'error')} in the config (manifest folders are checked once the config is valid)\n`,
    );
    return 1;
  }
  const { config } = loaded;
  const configDir = dirname(resolve(configPath));
  const folders = [
    ...config.clusters.flatMap((c) => (c.manifests === undefined ? [] : [c.manifests])),
    ...config.config.flatMap((s) => (s.manifests === undefined ? [] : [s.manifests])),
  ];
  const uniqueFolders = [...new Set(folders)];
  const results = await Promise.all(
    uniqueFolders.map((folder) => readManifestFolder(folder, { errorPrefix: folderLabel(configDir, folder) })),
  );
  const errors = results.flatMap((r) => r.errors);
  const objectCount = results.reduce((sum, r) => sum + r.objects.length, 0);
  // What serve would fail on at start: one port twice, CA files, unreadable kubeconfigs (errors); a port
  // taken or an address missing on this host now (warnings: validate may run beside the live instance).
  const startup = await checkStartup(config);
  printErrors(startup.errors, out);
  for (const warning of startup.warnings) out.write(`warning: ${warning.path}: ${warning.message} [${warning.code}]\n`);
  printErrors(errors, out);
  if (startup.errors.length > 0 || errors.length > 0) {
    const where = [
      ...(startup.errors.length > 0 ? [`${plural(startup.errors.length, 'error')} serve would stop at start`] : []),
      ...(errors.length > 0
        ? [`${plural(errors.length, 'error')} in ${plural(uniqueFolders.length, 'manifests folder')}`]
        : []),
    ];
    out.write(`${configPath}: validation failed: ${where.join('; ')}\n`);
    return 1;
  }
  // Istio objects are checked as `serve` would check them, each alone; --proxy-output also
  // translates the mesh for representative proxies and checks every resource against validate.rules.
  const mesh = await loadOfflineMesh(config);
  for (const error of mesh.errors) out.write(`${error}\n`);
  // Invalid registry values (addresses, ports, protocols, label values): serve drops them and goes on.
  for (const dropped of mesh.dropped) out.write(`warning: ${dropped}\n`);
  // Kinds istiod reads and meshpilot does not translate (EnvoyFilter, Gateway API, ...): serve ignores them.
  for (const warning of mesh.warnings) out.write(`warning: ${warning}\n`);
  if (mesh.errors.length > 0) {
    out.write(`${configPath}: validation failed: ${plural(mesh.errors.length, 'error')} in Istio config\n`);
    return 1;
  }
  if (options.proxyOutput) {
    for (const note of mesh.notes) out.write(`note: ${note}\n`);
    const { checked, violations } = validateProxyOutput(mesh.snapshot);
    for (const violation of violations) out.write(`${violation}\n`);
    if (violations.length > 0) {
      out.write(
        `${configPath}: proxy output invalid: ${plural(violations.length, 'violation')} of validate.rules in ${plural(checked, 'resource')}\n`,
      );
      return 1;
    }
    out.write(
      `proxy output OK: ${plural(checked, 'resource')} for ${plural(representativeViews(mesh.snapshot).length, 'proxy view')} satisfy validate.rules\n`,
    );
  }
  const networks = Object.keys(config.meshNetworks.networks).length;
  const warned = mesh.dropped.length + mesh.warnings.length + startup.warnings.length > 0;
  out.write(
    `config OK${warned ? ' with warnings' : ''}: ${plural(config.clusters.length, 'kube cluster')}, ${plural(networks, 'network')}, ${plural(config.config.length, 'config source')}, ` +
      `${plural(objectCount, 'manifest object')} in ${plural(uniqueFolders.length, 'folder')}` +
      (mesh.dropped.length > 0
        ? `; serve would drop ${plural(mesh.dropped.length, 'invalid value')} (warnings above)`
        : '') +
      (mesh.warnings.length > 0
        ? `; serve would ignore what ${plural(mesh.warnings.length, 'warning')} above name${mesh.warnings.length === 1 ? 's' : ''} (kinds or parts meshpilot does not translate)`
        : '') +
      (startup.warnings.length > 0
        ? `; serve could not bind ${plural(startup.warnings.length, 'listen address')} on this host now (warnings above)`
        : '') +
      '\n',
  );
  return 0;
}
