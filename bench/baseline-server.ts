import { Server, ServerCredentials, status, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { ADS_SERVICE } from '../server/xds/xds-server.ts';
import {
  EDS_TYPE,
  CDS_TYPE,
  encodeDiscoveryResponse,
  forEachField,
  parseDiscoveryRequest,
  ProtoWriter,
  readNodeView,
} from './proto-wire.ts';
import { loadRecording, type RecordedView } from './recording.ts';
import { viewKeyOf } from './views.ts';

/**
 * The baseline: a bare @grpc/grpc-js ADS server that replays meshpilot's recorded responses.
 * No snapshot, no translation, no encoding per stream: a stream's first CDS request gets the
 * recorded CDS bytes of its view, its first EDS request the recorded EDS bytes, ACKs get
 * nothing. A change push sends one pre-built EDS response per view to every stream of that view.
 * Large writes go through a FIFO with at most IN_FLIGHT_BYTES written but not yet flushed
 * (grpc-js copies each message into its frame), so 10,000 initial pushes of megabytes each do
 * not all sit in memory at once; smaller writes go straight out.
 *
 * Run with child_process.fork; argv[2] is the recording folder. IPC: {op:'push', id, resources}.
 */

const IN_FLIGHT_BYTES = Number(process.env.MESHPILOT_BENCH_BASELINE_IN_FLIGHT_MIB ?? 2048) * 1024 * 1024;
const LARGE_WRITE_BYTES = 64 * 1024;
/** The baseline serves only SotW, on the same raw-bytes service definition meshpilot uses. */
const RAW_ADS: ServiceDefinition = { StreamAggregatedResources: ADS_SERVICE.StreamAggregatedResources! };

interface ViewReplay {
  readonly recorded: RecordedView;
  /** EDS resource name → the Any bytes meshpilot sent for it to this view. */
  readonly endpoints: ReadonlyMap<string, Uint8Array>;
}

interface BaselineStream {
  readonly call: ServerDuplexStream<Buffer, Buffer>;
  view: ViewReplay | undefined;
  edsRequested: boolean;
  queued: number;
  closed: boolean;
  /** Releases of this stream's in-flight writes, run if it closes before they complete. */
  readonly inFlight: Set<() => void>;
}

function endpointsOf(recorded: RecordedView): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const message of recorded.eds) {
    forEachField(message, (field, _wire, any) => {
      if (field !== 2 || typeof any === 'number') return;
      forEachField(any, (anyField, _w, value) => {
        if (anyField !== 2 || typeof value === 'number') return;
        forEachField(value, (f, _w2, name) =>
          f === 1 && typeof name !== 'number' ? out.set(Buffer.from(name).toString('utf8'), any) : undefined,
        );
      });
    });
  }
  return out;
}

/** The resource's Any with an unknown field appended to its message: new bytes, same size ± 4, valid protobuf. */
function changedVariant(any: Uint8Array, generation: number): Uint8Array {
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array();
  forEachField(any, (field, _wire, v) => {
    if (typeof v === 'number') return;
    if (field === 1) typeUrl = Buffer.from(v).toString('utf8');
    else if (field === 2) value = v;
  });
  const marker = new ProtoWriter().tag(1000, 0).varint(generation).finish();
  return new ProtoWriter()
    .string(1, typeUrl)
    .bytes(2, Buffer.concat([value, marker]))
    .finish();
}

class BaselineServer {
  private readonly views: Map<string, ViewReplay>;
  private readonly streams = new Set<BaselineStream>();
  private readonly queue: { stream: BaselineStream; bytes: Buffer }[] = [];
  /** Bytes of large writes handed to grpc-js and not yet flushed. */
  private inFlight = 0;
  private pushes = 0;
  private readonly generations = new Map<string, number>();

  constructor(recorded: readonly RecordedView[]) {
    this.views = new Map(recorded.map((r) => [r.key, { recorded: r, endpoints: endpointsOf(r) }]));
  }

  handle(call: ServerDuplexStream<Buffer, Buffer>): void {
    const stream: BaselineStream = {
      call,
      view: undefined,
      edsRequested: false,
      queued: 0,
      closed: false,
      inFlight: new Set(),
    };
    this.streams.add(stream);
    const close = (): void => {
      stream.closed = true;
      this.streams.delete(stream);
      for (const release of [...stream.inFlight]) release();
    };
    call.on('data', (bytes: Buffer) => this.onRequest(stream, bytes));
    call.on('error', close);
    call.on('cancelled', close);
    call.on('close', close);
    call.on('end', () => {
      close();
      call.end();
    });
  }

  private onRequest(stream: BaselineStream, bytes: Buffer): void {
    const request = parseDiscoveryRequest(bytes);
    if (!stream.view) {
      const key = request.node ? viewKeyOf(readNodeView(request.node)) : '';
      stream.view = this.views.get(key);
      if (!stream.view) {
        stream.call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details: `baseline has no recording for view "${key}"`,
        });
        return;
      }
    }
    if (request.nonce !== '') return; // an ACK (or NACK): nothing to send
    if (request.typeUrl === CDS_TYPE) for (const message of stream.view.recorded.cds) this.write(stream, message);
    else if (request.typeUrl === EDS_TYPE && !stream.edsRequested) {
      stream.edsRequested = true;
      for (const message of stream.view.recorded.eds) this.write(stream, message);
    }
  }

  private write(stream: BaselineStream, bytes: Buffer): void {
    if (stream.closed) return;
    if (bytes.length < LARGE_WRITE_BYTES && stream.queued === 0) {
      stream.call.write(bytes);
      return;
    }
    stream.queued += 1;
    this.queue.push({ stream, bytes });
    this.pump();
  }

  private pump(): void {
    for (
      let guard = 0;
      guard < 100_000 &&
      (this.inFlight === 0 || this.inFlight + (this.queue[0]?.bytes.length ?? 0) <= IN_FLIGHT_BYTES) &&
      this.queue.length > 0;
      guard += 1
    ) {
      const { stream, bytes } = this.queue.shift()!;
      if (stream.closed) {
        stream.queued -= 1;
        continue;
      }
      this.inFlight += bytes.length;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        stream.inFlight.delete(release);
        this.inFlight -= bytes.length;
        stream.queued -= 1;
        this.pump();
      };
      stream.inFlight.add(release);
      stream.call.write(bytes, release);
    }
  }

  /** One EDS response per view carrying a new version of each resource, sent to every stream that asked for EDS. */
  push(resources: readonly string[]): number {
    this.pushes += 1;
    const generations = resources.map((resource) => {
      const generation = (this.generations.get(resource) ?? 0) + 1;
      this.generations.set(resource, generation);
      return generation;
    });
    const byView = new Map<ViewReplay, Buffer>();
    for (const view of this.views.values()) {
      const anys = resources.flatMap((resource, i) => {
        const any = view.endpoints.get(resource);
        return any ? [changedVariant(any, generations[i]!)] : [];
      });
      if (anys.length === 0) continue;
      const version = `baseline-${this.pushes}`;
      byView.set(
        view,
        encodeDiscoveryResponse({ versionInfo: version, typeUrl: EDS_TYPE, nonce: version, resources: anys }),
      );
    }
    let sent = 0;
    for (const stream of this.streams) {
      const bytes = stream.view && stream.edsRequested ? byView.get(stream.view) : undefined;
      if (!bytes) continue;
      this.write(stream, bytes);
      sent += 1;
    }
    return sent;
  }

  streamCount(): number {
    return this.streams.size;
  }
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir || !process.send)
    throw new Error('MESHPILOT_BENCH_ERR_BASELINE: fork baseline-server.ts with the recording folder as its argument');
  const baseline = new BaselineServer(await loadRecording(dir));
  const server = new Server({
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  server.addService(RAW_ADS, {
    StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => baseline.handle(call),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  process.on('message', (message: { op: string; id: number; resources?: string[] }) => {
    if (message.op === 'push') process.send?.({ id: message.id, sent: baseline.push(message.resources ?? []) });
    else if (message.op === 'streams') process.send?.({ id: message.id, sent: baseline.streamCount() });
  });
  process.on('disconnect', () => {
    server.forceShutdown();
    process.exit(0);
  });
  process.send({ ready: true, port });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `baseline server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
