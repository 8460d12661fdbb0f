import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigErrorCode, formatConfigPath, type ConfigError } from './config-error.ts';
import { errorMessage } from '../../common/error-message.ts';
import { checkConfigReferences, resolveConfigPath } from './references.ts';
import { MeshpilotConfigSchema, type MeshpilotConfig } from './schema.ts';
import { lineOfPath } from './yaml-locate.ts';
import { issuesFromZod, type PathIssue } from './zod-issues.ts';

export type { ConfigError } from './config-error.ts';
export type * from './schema.ts';

export type ConfigResult = { ok: true; config: MeshpilotConfig } | { ok: false; errors: ConfigError[] };

function yamlSyntaxErrors(doc: Document, lineCounter: LineCounter, configPath: string): ConfigError[] {
  return doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return {
      path: `${configPath}:${line}:${col}`,
      message: `YAML syntax error at line ${line}, column ${col}: ${error.message.split('\n')[0] ?? ''} (${error.code})`,
      code: ConfigErrorCode.yaml,
    };
  });
}

function withResolvedPaths(config: MeshpilotConfig, baseDir: string): MeshpilotConfig {
  return {
    ...config,
    clusters: config.clusters.map((cluster) =>
      cluster.kubeconfig !== undefined
        ? { ...cluster, kubeconfig: resolveConfigPath(baseDir, cluster.kubeconfig) }
        : { ...cluster, manifests: resolveConfigPath(baseDir, cluster.manifests) },
    ),
    config: config.config.map((source) =>
      source.manifests !== undefined ? { manifests: resolveConfigPath(baseDir, source.manifests) } : source,
    ),
    ...(config.security !== undefined
      ? { security: { ...config.security, caDir: resolveConfigPath(baseDir, config.security.caDir) } }
      : {}),
  };
}

/**
 * Checks config text as if read from `configPath`: YAML syntax, the schema, then cross references and
 * referenced files (relative to the config file's folder). Reports every error it finds, not the first.
 */
export async function parseConfigText(text: string, configPath: string): Promise<ConfigResult> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, errors: yamlSyntaxErrors(doc, lineCounter, configPath) };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error: unknown) {
    return {
      ok: false,
      errors: [
        { path: configPath, message: `cannot read the YAML: ${errorMessage(error)}`, code: ConfigErrorCode.yaml },
      ],
    };
  }
  if (raw === null || raw === undefined) {
    return {
      ok: false,
      errors: [
        {
          path: '(root)',
          message: `the config file ${configPath} is empty: expected a mapping with meshId, clusters, meshNetworks, ...`,
          code: ConfigErrorCode.empty,
        },
      ],
    };
  }

  const baseDir = dirname(resolve(configPath));
  const parsed = MeshpilotConfigSchema.safeParse(raw);
  const issues: PathIssue[] = [
    ...(parsed.success ? [] : issuesFromZod(parsed.error.issues, raw, MeshpilotConfigSchema)),
    ...(await checkConfigReferences(raw, baseDir)),
  ];
  if (issues.length > 0 || !parsed.success) {
    const errors = issues.map((issue): ConfigError => {
      const line = lineOfPath(doc, lineCounter, issue.segments);
      return {
        path: formatConfigPath(issue.segments),
        message: line === undefined ? issue.message : `${issue.message} (line ${line})`,
        code: issue.code,
      };
    });
    return { ok: false, errors };
  }
  return { ok: true, config: withResolvedPaths(parsed.data, baseDir) };
}

/** Reads and checks a meshpilot.yaml; every file path in the returned config is absolute. */
export async function loadConfig(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    return {
      ok: false,
      errors: [{ path, message: `cannot read the config file: ${errorMessage(error)}`, code: ConfigErrorCode.read }],
    };
  }
  return parseConfigText(text, path);
}
