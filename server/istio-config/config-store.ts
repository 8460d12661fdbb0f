import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { untranslatedGatewayServers } from '../../translators/gateway/untranslated-servers.ts';
import { authorizationPolicyIssues } from '../../translators/security/authorization-policy.ts';
import {
  allConfigs,
  buildIstioConfigSet,
  DEFAULT_ROOT_NAMESPACE,
  EMPTY_ISTIO_CONFIG,
  ISTIO_KINDS,
} from '../../model/istio/config-set.ts';
import type { AnyIstioConfig, ConfigOrigin, IstioConfigSet, IstioKind } from '../../model/istio/types.ts';
import type { IstioConfigMetrics } from './config-metrics.ts';
import {
  describeOrigin,
  type ConfigSourceHealth,
  type IstioConfigSource,
  type RawConfigObject,
} from './config-source.ts';
import { IstioConfigErrorCode } from './schema-common.ts';
import { describeUnsupported, UNSUPPORTED_KIND_CODE, type UnsupportedObject } from './unsupported-kinds.ts';
import { validateIstioObject, type ValidationResult } from './validate.ts';

export interface ConfigReject {
  readonly kind: IstioKind;
  readonly namespace: string;
  readonly name: string;
  readonly origin: ConfigOrigin;
  readonly resourceVersion: string;
  readonly code: string;
  readonly errors: readonly string[];
}

export interface ConfigzView {
  readonly sources: readonly ConfigSourceHealth[];
  readonly accepted: readonly {
    kind: IstioKind;
    namespace: string;
    name: string;
    origin: ConfigOrigin;
    resourceVersion: string;
    warnings?: readonly string[];
  }[];
  readonly rejected: readonly ConfigReject[];
  /** Objects of kinds istiod reads and meshpilot does not translate (EnvoyFilter, Gateway API, ...): ignored. */
  readonly unsupported: readonly UnsupportedObject[];
}

export interface IstioConfigStoreOptions {
  /** In precedence order: when two sources define the same kind/namespace/name, the first wins. */
  readonly sources: readonly IstioConfigSource[];
  readonly logger: Logger;
  readonly metrics?: IstioConfigMetrics;
  readonly rootNamespace?: string;
  /** Called with each new accepted set (only when it differs from the previous one). */
  readonly onChange: (set: IstioConfigSet) => void;
}

function originKey(origin: ConfigOrigin): string {
  return origin.type === 'file' ? `file:${origin.path}` : `kube:${origin.kubeCluster}`;
}

/**
 * Validates every object of every source on its own and keeps the valid ones: an invalid object is
 * rejected alone (listed with its reasons, logged once per object version, counted), the rest apply.
 * Validation results are kept per object version, so an unchanged object is neither re-validated
 * nor re-logged, and keeps its identity in the next set.
 */
export class IstioConfigStore {
  private readonly options: IstioConfigStoreOptions;
  private validated = new Map<string, ValidationResult<AnyIstioConfig>>();
  private reported = new Set<string>();
  private set: IstioConfigSet;
  private rejectList: readonly ConfigReject[] = [];
  private unsupportedList: readonly UnsupportedObject[] = [];
  /** Per accepted object (kind namespace/name): what of it the translators cannot express. */
  private warnings = new Map<string, readonly string[]>();
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(options: IstioConfigStoreOptions) {
    this.options = options;
    this.set =
      options.rootNamespace === undefined || options.rootNamespace === DEFAULT_ROOT_NAMESPACE
        ? EMPTY_ISTIO_CONFIG
        : { ...EMPTY_ISTIO_CONFIG, rootNamespace: options.rootNamespace };
  }

  /** Starts every source, waits for their first read, then publishes the first set. */
  async start(): Promise<void> {
    await Promise.all(this.options.sources.map((source) => source.start(() => this.schedule())));
    this.recompute();
  }

  /** Coalesces bursts (an initial list delivers one event per object) into one recomputation. */
  private schedule(): void {
    if (this.stopped || this.scheduled !== undefined) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.recompute();
    });
  }

  recompute(): void {
    if (this.stopped) return;
    const validated = new Map<string, ValidationResult<AnyIstioConfig>>();
    const reported = new Set<string>();
    const winners = new Map<string, ConfigOrigin>();
    const accepted: AnyIstioConfig[] = [];
    const rejects: ConfigReject[] = [];
    const warningsOf = new Map<string, readonly string[]>();
    for (const source of this.options.sources) {
      for (const raw of source.current()) {
        const identity = `${raw.kind} ${raw.scope !== undefined ? `${raw.scope}:` : ''}${raw.namespace}/${raw.name}`;
        const versionKey = `${originKey(raw.origin)}|${identity}|${raw.version}`;
        const result = this.validated.get(versionKey) ?? validateIstioObject(raw.object, raw.origin, raw.version);
        validated.set(versionKey, result);
        const winner = winners.get(identity);
        let reject: ConfigReject | undefined;
        if (winner !== undefined) {
          reject = this.rejectOf(raw, IstioConfigErrorCode.duplicate, [
            `${identity} is also defined by ${describeOrigin(winner)}, which takes precedence; this copy is ignored`,
          ]);
        } else {
          winners.set(identity, raw.origin);
          if (result.valid) {
            accepted.push(result.result);
            const warnings = translationWarnings(result.result, raw.object);
            const warnKey = `${versionKey}|warnings`;
            if (warnings.length > 0) {
              warningsOf.set(identity, warnings);
              reported.add(warnKey);
              if (!this.reported.has(warnKey))
                this.options.logger.warn(
                  { kind: raw.kind, namespace: raw.namespace, name: raw.name, warnings },
                  `Istio config accepted with parts that cannot be translated: ${identity}`,
                );
            }
          } else reject = this.rejectOf(raw, IstioConfigErrorCode.invalid, result.errors);
        }
        if (reject === undefined) continue;
        rejects.push(reject);
        const reportKey = `${versionKey}|${reject.code}`;
        reported.add(reportKey);
        if (!this.reported.has(reportKey)) this.report(reject);
      }
    }
    const unsupported = this.options.sources.flatMap((source) => source.unsupported());
    for (const object of unsupported) {
      // Logged once per object and source (not per version): an ignored kind stays ignored when edited.
      const key = `unsupported|${originKey(object.origin)}|${object.apiVersion} ${object.kind} ${object.namespace}/${object.name}`;
      reported.add(key);
      if (!this.reported.has(key))
        this.options.logger.warn(
          {
            code: UNSUPPORTED_KIND_CODE,
            kind: object.kind,
            apiVersion: object.apiVersion,
            namespace: object.namespace,
            name: object.name,
            source: describeOrigin(object.origin),
          },
          `Istio config not supported, ignored: ${describeUnsupported(object)}`,
        );
    }
    this.validated = validated;
    this.reported = reported;
    this.rejectList = rejects;
    this.unsupportedList = unsupported;
    this.warnings = warningsOf;
    this.updateGauges(accepted, rejects);
    const next = buildIstioConfigSet(accepted, this.set.rootNamespace);
    if (isDeepStrictEqual(next, this.set)) return;
    this.set = next;
    this.options.onChange(next);
  }

  private rejectOf(raw: RawConfigObject, code: string, errors: readonly string[]): ConfigReject {
    return {
      kind: raw.kind,
      namespace: raw.namespace,
      name: raw.name,
      origin: raw.origin,
      resourceVersion: raw.version,
      code,
      errors,
    };
  }

  private report(reject: ConfigReject): void {
    this.options.metrics?.rejections.inc({ kind: reject.kind });
    this.options.logger.warn(
      {
        code: reject.code,
        kind: reject.kind,
        namespace: reject.namespace,
        name: reject.name,
        source: describeOrigin(reject.origin),
        resourceVersion: reject.resourceVersion,
        errors: reject.errors,
      },
      `Istio config rejected: ${reject.kind} ${reject.namespace}/${reject.name}: ${reject.errors[0] ?? ''}`,
    );
  }

  private updateGauges(accepted: readonly AnyIstioConfig[], rejects: readonly ConfigReject[]): void {
    const metrics = this.options.metrics;
    if (metrics === undefined) return;
    for (const kind of ISTIO_KINDS) {
      metrics.accepted.set({ kind }, accepted.filter((c) => c.kind === kind).length);
      metrics.rejected.set({ kind }, rejects.filter((r) => r.kind === kind).length);
    }
  }

  current(): IstioConfigSet {
    return this.set;
  }

  rejects(): readonly ConfigReject[] {
    return this.rejectList;
  }

  configz(): ConfigzView {
    const accepted = allConfigs(this.set).map((config) => {
      const warnings = this.warnings.get(`${config.kind} ${config.meta.namespace}/${config.meta.name}`) ?? [];
      return {
        kind: config.kind,
        namespace: config.meta.namespace,
        name: config.meta.name,
        origin: config.meta.origin,
        resourceVersion: config.meta.resourceVersion,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    });
    return {
      sources: this.options.sources.map((source) => source.health()),
      accepted,
      rejected: this.rejectList,
      unsupported: this.unsupportedList,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    await Promise.all(this.options.sources.map((source) => source.stop()));
  }
}

/**
 * What of a valid object the translators cannot express (e.g. JWT principals in an
 * AuthorizationPolicy): applied as Istio does (ALLOW rules dropped, DENY rules widened), and said;
 * the parts of a Telemetry meshpilot accepts and does not translate (access logging, tracing).
 */
export function translationWarnings(config: AnyIstioConfig, raw: unknown): string[] {
  if (config.kind === 'AuthorizationPolicy') return authorizationPolicyIssues(config);
  if (config.kind === 'Telemetry') return ignoredTelemetryParts(raw);
  if (config.kind === 'Gateway') return untranslatedGatewayServers(config);
  if (config.kind === 'WorkloadGroup') return [WORKLOAD_GROUP_NOT_REGISTERING];
  return [];
}

/**
 * Istio builds nothing from a WorkloadGroup itself: its auto-registration writes a WorkloadEntry from the
 * template when a VM's proxy connects, and the pilot translates that entry. meshpilot writes nothing.
 */
const WORKLOAD_GROUP_NOT_REGISTERING = `auto-registration not supported: meshpilot creates no WorkloadEntry from this group when a proxy connects (Istio does); WorkloadEntries written from its template are used as written [${UNSUPPORTED_KIND_CODE}]`;

const IGNORED_TELEMETRY_PARTS = ['accessLogging', 'tracing'] as const;

function ignoredTelemetryParts(raw: unknown): string[] {
  const spec = typeof raw === 'object' && raw !== null ? (raw as { spec?: unknown }).spec : undefined;
  if (typeof spec !== 'object' || spec === null) return [];
  return IGNORED_TELEMETRY_PARTS.filter((part) => (spec as Record<string, unknown>)[part] !== undefined).map(
    (part) =>
      `spec.${part}: not supported: meshpilot ignores it (only metrics are translated) [${UNSUPPORTED_KIND_CODE}]`,
  );
}
