import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { nowMs } from './clock.ts';
import {
  CDS_TYPE,
  EDS_TYPE,
  encodeDiscoveryRequest,
  encodeNode,
  encodeResourceNames,
  GrpcFrameReader,
  grpcFrame,
  parseDiscoveryResponse,
  type NodeSpec,
  type ParsedResponse,
} from './proto-wire.ts';

/**
 * One simulated Envoy on its own HTTP/2 connection, speaking ADS (SotW) with raw gRPC framing:
 * CDS wildcard first, then EDS for every EDS cluster CDS names; every response ACKed with its
 * version and nonce (resource names repeated, as Envoy does). No proto library, no grpc-js
 * channel: 10,000 of these fit in a few worker processes.
 */

export const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const WINDOW_BYTES = 4 * 1024 * 1024;
/** ACK times kept per tracked resource and stream: enough for several changes of one resource. */
const TRACK_HISTORY = 16;

export interface TrackedEntry {
  /** When the ACK of the response carrying this content was written (nowMs clock). */
  readonly ackAt: number;
  readonly fingerprint: string;
}

export interface StreamSummary {
  readonly cdsNames: number;
  readonly edsNames: number;
  /** Hash of the sorted CDS and EDS resource names, to compare servers without shipping names. */
  readonly namesDigest: string;
  readonly names?: { cds: string[]; eds: string[] };
}

/** An EDS subscription: shared by every stream of a worker that subscribes to the same names. */
export interface Subscription {
  readonly key: string;
  readonly names: readonly string[];
  /** name → position in `names`. */
  readonly index: ReadonlyMap<string, number>;
  readonly encoded: Buffer;
}

/** Interns subscriptions, so 10,000 streams of four views hold four name lists, not 10,000. */
export class SubscriptionCache {
  private readonly byKey = new Map<string, Subscription>();

  get(sortedNames: readonly string[]): Subscription {
    const key = sortedNames.join('\n');
    let subscription = this.byKey.get(key);
    if (!subscription) {
      subscription = {
        key,
        names: sortedNames,
        index: new Map(sortedNames.map((name, i) => [name, i])),
        encoded: encodeResourceNames(sortedNames),
      };
      if (this.byKey.size >= 64) this.byKey.clear();
      this.byKey.set(key, subscription);
    }
    return subscription;
  }
}

const NO_SUBSCRIPTION: Subscription = { key: '', names: [], index: new Map(), encoded: Buffer.alloc(0) };

export interface AdsStreamOptions {
  readonly subscriptions: SubscriptionCache;
  readonly port: number;
  readonly host: string;
  readonly localAddress?: string;
  readonly node: NodeSpec;
  /** Resource names whose content history (fingerprint, ACK time) this stream keeps. */
  readonly tracked: ReadonlySet<string>;
  readonly keepNames: boolean;
  /** HTTP/2 receive window (stream and connection); the default is large, as Envoy's are. */
  readonly windowBytes?: number;
  /** Called with each decoded response and its raw bytes (the recorder keeps them). */
  readonly onResponse?: (response: ParsedResponse, raw: Buffer) => void;
}

function fingerprint(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

export class AdsStream {
  private readonly options: AdsStreamOptions;
  private session: http2.ClientHttp2Session | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private readonly reader = new GrpcFrameReader();
  private nodeBytes: Buffer | undefined;
  private cdsNames: string[] = [];
  private subscription: Subscription | undefined;
  private edsVersion = '';
  private edsNonce = '';
  /** Until the initial push is complete: which subscribed EDS names arrived, and how many. */
  private receivedFlags: Uint8Array | undefined;
  private receivedCount = 0;
  private cdsAcked = false;
  readonly tracked = new Map<string, TrackedEntry[]>();
  /** When the first request was written, and when the initial CDS+EDS was fully ACKed. */
  startedAt: number | undefined;
  initialDoneAt: number | undefined;
  summary: StreamSummary | undefined;
  failure: string | undefined;
  closed = false;
  responses = 0;
  bytesReceived = 0;
  cdsVersion = '';

  constructor(options: AdsStreamOptions) {
    this.options = options;
  }

  get lastEdsVersion(): string {
    return this.edsVersion;
  }

  /** Opens the connection and the ADS call (headers only); resolves once connected, rejects on failure. */
  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.failure ??= error.message;
        this.close();
        reject(error);
      };
      const session = http2.connect(`http://${this.options.host}:${this.options.port}`, {
        ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
        settings: { initialWindowSize: this.options.windowBytes ?? WINDOW_BYTES, enablePush: false },
        maxSessionMemory: 64,
      });
      this.session = session;
      session.on('error', (error: Error) => (this.closed ? undefined : fail(error)));
      session.once('connect', () => {
        session.setLocalWindowSize(this.options.windowBytes ?? WINDOW_BYTES);
        const stream = session.request(
          {
            ':method': 'POST',
            ':path': ADS_PATH,
            'content-type': 'application/grpc',
            te: 'trailers',
            'user-agent': 'meshpilot-bench',
          },
          { endStream: false },
        );
        this.stream = stream;
        stream.on('data', (chunk: Buffer) => this.onData(chunk));
        stream.on('trailers', (headers: http2.IncomingHttpHeaders) => {
          const status = headers['grpc-status'];
          if (status !== undefined && status !== '0')
            this.failure ??= `grpc-status ${String(status)}: ${String(headers['grpc-message'] ?? '')}`;
        });
        stream.on('error', (error: Error) => {
          this.failure ??= error.message;
        });
        stream.on('close', () => {
          if (!this.closed && this.initialDoneAt === undefined)
            this.failure ??= 'stream closed before the initial push completed';
          this.closed = true;
        });
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends the first request: CDS wildcard, with the node. */
  start(): void {
    this.nodeBytes = encodeNode(this.options.node);
    this.startedAt = nowMs();
    this.send(CDS_TYPE, '', '', Buffer.alloc(0));
  }

  /** Stops reading (a stuck proxy): HTTP/2 flow control then stops the server's writes. */
  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  private send(typeUrl: string, versionInfo: string, nonce: string, resourceNames: Uint8Array): void {
    if (!this.stream || this.closed) return;
    const node = this.nodeBytes;
    this.nodeBytes = undefined;
    this.stream.write(
      grpcFrame(encodeDiscoveryRequest({ typeUrl, versionInfo, nonce, resourceNames, ...(node ? { node } : {}) })),
    );
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    let messages: Buffer[];
    try {
      messages = this.reader.push(chunk);
    } catch (error: unknown) {
      this.failure ??= error instanceof Error ? error.message : String(error);
      this.close();
      return;
    }
    for (const message of messages) this.onMessage(message);
  }

  private onMessage(raw: Buffer): void {
    const response = parseDiscoveryResponse(raw);
    this.responses += 1;
    this.options.onResponse?.(response, raw);
    if (response.typeUrl === CDS_TYPE) this.onClusters(response);
    else if (response.typeUrl === EDS_TYPE) this.onEndpoints(response, raw);
    else this.send(response.typeUrl, response.versionInfo, response.nonce, Buffer.alloc(0));
  }

  private onClusters(response: ParsedResponse): void {
    if (this.initialDoneAt === undefined) this.cdsNames = response.resources.map((r) => r.name);
    this.cdsVersion = response.versionInfo;
    const eds = response.resources
      .filter((r) => r.usesEds)
      .map((r) => r.name)
      .sort();
    this.send(CDS_TYPE, response.versionInfo, response.nonce, Buffer.alloc(0));
    this.cdsAcked = true;
    const subscription = this.options.subscriptions.get(eds);
    if (subscription !== this.subscription) {
      const first = this.subscription === undefined;
      this.subscription = subscription;
      if (this.initialDoneAt === undefined) {
        this.receivedFlags = new Uint8Array(eds.length);
        this.receivedCount = 0;
      }
      if (!first || eds.length > 0) this.send(EDS_TYPE, this.edsVersion, this.edsNonce, subscription.encoded);
    }
    this.checkInitialDone(nowMs());
  }

  private onEndpoints(response: ParsedResponse, raw: Buffer): void {
    this.edsVersion = response.versionInfo;
    this.edsNonce = response.nonce;
    this.send(EDS_TYPE, response.versionInfo, response.nonce, (this.subscription ?? NO_SUBSCRIPTION).encoded);
    const ackAt = nowMs();
    const index = this.subscription?.index;
    for (const resource of response.resources) {
      const position = index?.get(resource.name);
      if (this.receivedFlags && position !== undefined && this.receivedFlags[position] === 0) {
        this.receivedFlags[position] = 1;
        this.receivedCount += 1;
      }
      if (this.options.tracked.has(resource.name)) {
        let history = this.tracked.get(resource.name);
        if (!history) this.tracked.set(resource.name, (history = []));
        if (history.length >= TRACK_HISTORY) history.shift();
        history.push({ ackAt, fingerprint: fingerprint(raw.subarray(resource.start, resource.end)) });
      }
    }
    this.checkInitialDone(ackAt);
  }

  private checkInitialDone(at: number): void {
    if (
      this.initialDoneAt !== undefined ||
      !this.cdsAcked ||
      !this.receivedFlags ||
      this.receivedCount < this.receivedFlags.length
    )
      return;
    this.initialDoneAt = at;
    const cds = [...this.cdsNames].sort();
    const eds = [...(this.subscription ?? NO_SUBSCRIPTION).names];
    const digest = createHash('sha256')
      .update(cds.join('\n'))
      .update('\0')
      .update(eds.join('\n'))
      .digest('hex')
      .slice(0, 16);
    this.summary = {
      cdsNames: cds.length,
      edsNames: eds.length,
      namesDigest: digest,
      ...(this.options.keepNames ? { names: { cds, eds } } : {}),
    };
    this.receivedFlags = undefined;
    this.cdsNames = [];
  }

  isSubscribed(name: string): boolean {
    return this.subscription?.index.has(name) ?? false;
  }

  close(): void {
    if (this.closed && !this.session) return;
    this.closed = true;
    this.stream?.close(http2.constants.NGHTTP2_CANCEL);
    this.session?.destroy();
    this.session = undefined;
  }
}
