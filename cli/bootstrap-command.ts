import { stringify } from 'yaml';
/**
 * `meshpilot bootstrap`: the Envoy bootstrap JSON of a sidecar or east-west gateway (what
 * istio-agent would hand Envoy), checked against validate.rules before it is printed or written.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { decodeMessage, encodeMessage, ProtoEncodeError, type ProtoObject } from '../protos/any.ts';
import { toProto3Json } from '../protos/proto3-json.ts';
import { formatViolations, validateResourceBytes, type RuleViolation } from '../protos/validate-rules.ts';
import { errorMessage } from '../common/error-message.ts';
import {
  BOOTSTRAP_TYPE,
  bootstrapObject,
  buildEnvoyBootstrap,
  type EnvoyBootstrapInput,
  type HostPort,
  type ProxyType,
} from '../translators/bootstrap.ts';

export const BootstrapErrorCode = {
  badInput: 'MESHPILOT_ERR_BOOTSTRAP_INPUT',
  invalid: 'MESHPILOT_ERR_BOOTSTRAP_INVALID',
} as const;

export class BootstrapInputError extends Error {
  readonly code = BootstrapErrorCode.badInput;
}

/** Flags as commander parses them (camelCase of the option names). */
export interface BootstrapFlags {
  type: string;
  nodeId?: string;
  podIp: string;
  podName: string;
  namespace: string;
  serviceAccount: string;
  clusterId: string;
  network?: string;
  region?: string;
  zone?: string;
  subZone?: string;
  label?: string[];
  app?: string;
  domainSuffix?: string;
  istioVersion?: string;
  requestedNetworkView?: string;
  xdsAddress: string;
  tls?: boolean;
  rootCert?: string;
  xdsServerName?: string;
  tokenFile?: string;
  adminAddress?: string;
  /** The file to write (`--output-file`); stdout when absent. */
  output?: string;
  /** `-o`: json (default) or yaml (Envoy reads both). */
  format?: 'json' | 'yaml';
}

export interface CommandOutput {
  write(text: string): unknown;
}

export type RenderResult = { ok: true; json: string } | { ok: false; violations: readonly RuleViolation[] };

/** host:port, [v6]:port → HostPort; a clear error otherwise. */
export function parseHostPort(value: string, flag: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BootstrapInputError(`${flag}: expected host:port with a port 1..65535, got "${value}"`);
  }
  return { host, port };
}

function parseLabels(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BootstrapInputError(`--label: expected key=value, got "${pair}"`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function proxyType(value: string): ProxyType {
  if (value !== 'sidecar' && value !== 'router')
    throw new BootstrapInputError(`--type: expected sidecar or router, got "${value}"`);
  return value;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new BootstrapInputError(`${flag} must not be empty`);
  return value;
}

/** The translator input the flags describe; reads the token file (its content is never printed). */
export async function bootstrapInputFromFlags(flags: BootstrapFlags): Promise<EnvoyBootstrapInput> {
  if (flags.tls === true && flags.rootCert === undefined)
    throw new BootstrapInputError(
      '--tls needs --root-cert-file FILE: the root certificate Envoy trusts meshpilot with',
    );
  if (flags.tls !== true && flags.rootCert !== undefined)
    throw new BootstrapInputError('--root-cert-file is only used with --tls');
  let bearerToken: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      bearerToken = (await readFile(flags.tokenFile, 'utf8')).trim();
    } catch (error: unknown) {
      throw new BootstrapInputError(
        `--token-file: cannot read ${flags.tokenFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (bearerToken === '') throw new BootstrapInputError(`--token-file: ${flags.tokenFile} is empty`);
  }
  const view = (flags.requestedNetworkView ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return {
    proxyType: proxyType(flags.type),
    ...(flags.nodeId !== undefined ? { nodeId: required(flags.nodeId, '--node-id') } : {}),
    podIp: required(flags.podIp, '--pod-ip'),
    podName: required(flags.podName, '--pod-name'),
    namespace: required(flags.namespace, '--namespace'),
    serviceAccount: required(flags.serviceAccount, '--service-account'),
    kubeCluster: required(flags.clusterId, '--cluster-id'),
    ...(flags.network !== undefined ? { network: flags.network } : {}),
    locality: {
      ...(flags.region !== undefined ? { region: flags.region } : {}),
      ...(flags.zone !== undefined ? { zone: flags.zone } : {}),
      ...(flags.subZone !== undefined ? { subZone: flags.subZone } : {}),
    },
    labels: parseLabels(flags.label ?? []),
    ...(flags.app !== undefined ? { app: flags.app } : {}),
    ...(flags.domainSuffix !== undefined ? { domainSuffix: flags.domainSuffix } : {}),
    ...(flags.istioVersion !== undefined ? { istioVersion: flags.istioVersion } : {}),
    ...(view.length > 0 ? { requestedNetworkView: view } : {}),
    xds: {
      address: parseHostPort(flags.xdsAddress, '--xds-address'),
      ...(flags.tls === true && flags.rootCert !== undefined
        ? {
            tls: {
              rootCertFile: flags.rootCert,
              ...(flags.xdsServerName !== undefined ? { serverName: flags.xdsServerName } : {}),
            },
          }
        : {}),
      ...(bearerToken !== undefined ? { bearerToken } : {}),
    },
    ...(flags.adminAddress !== undefined ? { admin: parseHostPort(flags.adminAddress, '--admin-address') } : {}),
  };
}

/** Encodes, validates and renders a bootstrap object as Envoy-readable proto3 JSON. */
export function renderBootstrap(bootstrap: ProtoObject): RenderResult {
  const bytes = encodeMessage(BOOTSTRAP_TYPE, bootstrap);
  const violations = validateResourceBytes(BOOTSTRAP_TYPE, bytes, { reportUnknownAny: true });
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    json: `${JSON.stringify(toProto3Json(BOOTSTRAP_TYPE, decodeMessage(BOOTSTRAP_TYPE, bytes)), null, 2)}\n`,
  };
}

/** Runs the command; returns the exit code. Errors go to `stderr`, the JSON (or YAML) to `stdout` or `--output-file`. */
export async function runBootstrapCommand(
  flags: BootstrapFlags,
  stdout: CommandOutput,
  stderr: CommandOutput,
): Promise<number> {
  let rendered: RenderResult;
  let input: EnvoyBootstrapInput;
  try {
    input = await bootstrapInputFromFlags(flags);
    rendered = renderBootstrap(bootstrapObject(buildEnvoyBootstrap(input)));
  } catch (error: unknown) {
    if (error instanceof BootstrapInputError || error instanceof ProtoEncodeError) {
      stderr.write(`error [${error.code}]: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (!rendered.ok) {
    stderr.write(
      `error [${BootstrapErrorCode.invalid}]: the bootstrap breaks validate.rules:\n${formatViolations(rendered.violations)}\n`,
    );
    return 1;
  }
  const text = flags.format === 'yaml' ? stringify(JSON.parse(rendered.json)) : rendered.json;
  if (flags.output === undefined) {
    stdout.write(text);
    return 0;
  }
  try {
    // A bootstrap with a bearer token is a secret: owner-only.
    const mode = input.xds.bearerToken !== undefined ? 0o600 : 0o644;
    await writeFile(flags.output, text, { mode });
    await chmod(flags.output, mode);
  } catch (error: unknown) {
    stderr.write(`error [${BootstrapErrorCode.badInput}]: cannot write ${flags.output}: ${errorMessage(error)}\n`);
    return 1;
  }
  return 0;
}
