import { Resolver } from 'node:dns/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../../common/error-message.ts';

/** How gateway hostnames are resolved: Istio's defaults (pilot/pkg/model/network.go) unless set. */
export interface GatewayDnsOptions {
  /** DNS servers as `ip:port` / `[ip6]:port`; empty = the system's (/etc/resolv.conf), as Istio. */
  readonly servers: readonly string[];
  /** Istio's MinGatewayTTL (30 s): a shorter record TTL is raised to it, to avoid excessive pushes. */
  readonly minTtlMs: number;
  /** Istio's MaxGatewayTTL (1 h, CoreDNS's maximum). */
  readonly maxTtlMs: number;
  /** Per query and server (Istio's dns.Client: 5 s). */
  readonly timeoutMs: number;
}

/** What is known of one gateway hostname, as /debug/gatewaydnsz shows it. */
export interface GatewayNameState {
  readonly hostname: string;
  /** A and AAAA addresses, sorted as strings (Istio's order); empty while unresolved or when none. */
  readonly addresses: readonly string[];
  /** 'pending': the first answer is awaited; 'resolved': the last query answered (maybe with no record); 'failed': it did not, the previous addresses are kept. */
  readonly state: 'pending' | 'resolved' | 'failed';
  /** The TTL used for the next resolution, after Istio's clamping, in seconds. */
  readonly ttlSeconds?: number;
  readonly resolvedAt?: string;
  readonly nextResolveAt?: string;
  /** Why the last resolution found no address, or failed (DNS error codes of both queries). */
  readonly lastError?: string;
}

interface Entry {
  addresses: readonly string[];
  state: GatewayNameState['state'];
  ttlMs?: number;
  resolvedAt?: number;
  nextAt?: number;
  lastError?: string;
  timer?: NodeJS.Timeout;
}

/** A query's outcome: records with their TTLs, an answer without records, or no answer. */
type QueryResult =
  | { kind: 'records'; records: readonly { address: string; ttl: number }[] }
  | { kind: 'empty'; code: string }
  | { kind: 'failed'; code: string };

/** Error codes of an answered query with no address (NXDOMAIN, NODATA, REFUSED...): not a failure in Istio's client. */
const ANSWERED_CODES = new Set(['ENODATA', 'ENOTFOUND', 'EREFUSED', 'ENOTIMP', 'EFORMERR', 'EBADNAME']);

/**
 * Istio's networkGatewayNameCache: every hostname an east-west gateway is given by (LoadBalancer
 * ingress hostnames, meshNetworks addresses) is resolved with A and AAAA queries, and re-resolved
 * when its TTL expires (the smallest record TTL, raised to minTtl, capped at maxTtl; minTtl when there
 * is no record). When both queries fail (no answer, SERVFAIL), the previous addresses are kept and
 * the name is tried again after minTtl. A name no gateway uses any more is forgotten. `onChange`
 * runs when a name's addresses change; `addresses()` is the immutable map the snapshot is built from
 * (the same object until something changes).
 */
export class GatewayNameCache {
  private readonly options: GatewayDnsOptions;
  private readonly logger: Logger;
  private readonly onChange: () => void;
  private readonly resolver: Resolver;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Set<Promise<void>>();
  private current: ReadonlyMap<string, readonly string[]> = new Map();
  private stopped = false;

  constructor(options: GatewayDnsOptions, logger: Logger, onChange: () => void) {
    this.options = options;
    this.logger = logger;
    this.onChange = onChange;
    this.resolver = new Resolver({ timeout: options.timeoutMs, tries: 1 });
    if (options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  /** Resolved addresses by hostname, for resolveGateways. */
  addresses(): ReadonlyMap<string, readonly string[]> {
    return this.current;
  }

  /** The names gateways use now: new ones are resolved, gone ones forgotten (Istio's cleanupWatches). */
  watch(names: readonly string[]): void {
    if (this.stopped) return;
    const wanted = new Set(names);
    let dropped = false;
    for (const [name, entry] of this.entries) {
      if (wanted.has(name)) continue;
      clearTimeout(entry.timer);
      this.entries.delete(name);
      dropped = true;
    }
    for (const name of wanted) {
      if (this.entries.has(name)) continue;
      this.entries.set(name, { addresses: [], state: 'pending' });
      this.track(this.resolve(name));
    }
    if (dropped) this.publish();
  }

  /** Waits for the resolutions under way (each bounded by the resolver's timeout). */
  async settled(): Promise<void> {
    for (let round = 0; round < 3 && this.inFlight.size > 0; round += 1) await Promise.all([...this.inFlight]);
  }

  /** Every watched name's state, by name. */
  states(): GatewayNameState[] {
    return [...this.entries]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([hostname, entry]) => ({
        hostname,
        addresses: entry.addresses,
        state: entry.state,
        ...(entry.ttlMs !== undefined ? { ttlSeconds: entry.ttlMs / 1000 } : {}),
        ...(entry.resolvedAt !== undefined ? { resolvedAt: new Date(entry.resolvedAt).toISOString() } : {}),
        ...(entry.nextAt !== undefined ? { nextResolveAt: new Date(entry.nextAt).toISOString() } : {}),
        ...(entry.lastError !== undefined ? { lastError: entry.lastError } : {}),
      }));
  }

  stop(): void {
    this.stopped = true;
    this.resolver.cancel();
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async resolve(name: string): Promise<void> {
    // An answer for a name dropped (or dropped and watched again) meanwhile is ignored.
    const asked = this.entries.get(name);
    const [v4, v6] = await Promise.all([
      this.query(() => this.resolver.resolve4(name, { ttl: true })),
      this.query(() => this.resolver.resolve6(name, { ttl: true })),
    ]);
    const entry = this.entries.get(name);
    if (this.stopped || entry === undefined || entry !== asked) return;
    const { minTtlMs, maxTtlMs } = this.options;
    const before = entry.addresses;
    const now = Date.now();
    if (v4.kind === 'failed' && v6.kind === 'failed') {
      // Istio: "gracefully retain old addresses in case the DNS server is unavailable".
      entry.state = 'failed';
      entry.ttlMs = minTtlMs;
      entry.lastError = `A: ${v4.code}, AAAA: ${v6.code}`;
      this.logger.warn(
        { hostname: name, error: entry.lastError },
        'gateway hostname not resolved; keeping its addresses',
      );
    } else {
      const records = [v4, v6].flatMap((r) => (r.kind === 'records' ? r.records : []));
      // As Istio's minimalTTL: the smallest record TTL, at most maxTtl; no record at all: minTtl.
      const smallest = records.reduce((ttl, r) => Math.min(ttl, r.ttl * 1000), maxTtlMs);
      entry.ttlMs = Math.max(minTtlMs, records.length === 0 ? minTtlMs : smallest);
      entry.addresses = [...new Set(records.map((r) => r.address))].sort();
      entry.state = 'resolved';
      const codes = [v4, v6].flatMap((r) => (r.kind === 'records' ? [] : [r.code]));
      if (records.length === 0) {
        entry.lastError = `A: ${codes[0] ?? '-'}, AAAA: ${codes[1] ?? '-'}`;
        this.logger.warn({ hostname: name, error: entry.lastError }, 'gateway hostname resolved to no address');
      } else delete entry.lastError;
    }
    entry.resolvedAt = now;
    entry.nextAt = now + entry.ttlMs;
    entry.timer = setTimeout(() => this.track(this.resolve(name)), entry.ttlMs);
    entry.timer.unref();
    if (!sameList(before, entry.addresses)) {
      this.logger.info({ hostname: name, addresses: entry.addresses }, 'gateway hostname resolved');
      this.publish();
    }
  }

  private async query(run: () => Promise<{ address: string; ttl: number }[]>): Promise<QueryResult> {
    try {
      return { kind: 'records', records: await run() };
    } catch (error: unknown) {
      const code = (error as { code?: unknown }).code;
      const text = typeof code === 'string' ? code : errorMessage(error);
      return ANSWERED_CODES.has(text) ? { kind: 'empty', code: text } : { kind: 'failed', code: text };
    }
  }

  private publish(): void {
    this.current = new Map(
      [...this.entries].filter(([, e]) => e.addresses.length > 0).map(([name, e]) => [name, e.addresses]),
    );
    this.onChange();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
