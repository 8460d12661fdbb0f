import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import * as tls from 'node:tls';

/**
 * Run inside network A: the data path of an Envoy sidecar sending a service's RPCs by the EDS meshpilot serves the
 * sidecar, standing in for Envoy (no Envoy binary can be installed here, and no proxyless gRPC client gets SNI from
 * Istio or meshpilot, so none can use the east-west gateway). What it does as Envoy would:
 * - hosts by priority, lowest first (the client's locality at 0, the gateway of the other network after it), round
 *   robin within a priority; a host with `ejectAfter` failures in a row (the Cluster's outlier_detection
 *   consecutive_5xx: Envoy counts a connect failure as one) is ejected for the rest of the run (base_ejection_time
 *   is longer than the run);
 * - each connection is mTLS with the Cluster's SNI, Istio's ALPNs, the workload certificate and the server's
 *   SPIFFE id checked against the Cluster's SAN; one HTTP/2 connection per host, reopened when it closes;
 * - an attempt that fails before the response starts (connect failure, or the connection reset under the request)
 *   is retried on the next host, at most `retries` times: Envoy's retry policy with retry_on connect-failure,reset
 *   and the previous_hosts predicate. A response with a gRPC error is not retried and counts as failed.
 * argv: a JSON file {priorities: [[{host, port}]], sni, san, cert, key, root, count, maxMs, intervalMs, retries,
 * ejectAfter}.
 * Prints one JSON line per RPC ({"i", "server", "peer", "attempts"} or {"i", "error"}), then {"done": true}.
 */
interface Host {
  host: string;
  port: number;
}
interface Options {
  priorities: Host[][];
  sni: string;
  san: string;
  cert: string;
  key: string;
  root: string;
  count: number;
  maxMs: number;
  intervalMs: number;
  retries: number;
  ejectAfter: number;
}
interface Reply {
  server: string;
  peer?: string;
}

const file = process.argv[2];
if (!file) throw new Error('usage: failover-client.ts <options.json>');
const options = JSON.parse(readFileSync(file, 'utf8')) as Options;
const cert = readFileSync(options.cert);
const key = readFileSync(options.key);
const ca = readFileSync(options.root);
const sessions = new Map<string, ClientHttp2Session>();
const ejected = new Set<string>();
const failuresInARow = new Map<string, number>();
const cursor: number[] = options.priorities.map(() => 0);

const id = (h: Host): string => `${h.host}:${h.port}`;

/** The next host to try: the lowest priority with a host that is neither ejected nor tried for this RPC. */
function pick(tried: ReadonlySet<string>): Host | undefined {
  for (const [p, hosts] of options.priorities.entries()) {
    const usable = hosts.filter((h) => !ejected.has(id(h)) && !tried.has(id(h)));
    if (usable.length === 0) continue;
    cursor[p] = (cursor[p]! + 1) % usable.length;
    return usable[cursor[p]!];
  }
  return undefined;
}

function session(h: Host): ClientHttp2Session {
  const existing = sessions.get(id(h));
  if (existing && !existing.closed && !existing.destroyed) return existing;
  const created = connect(`https://${options.sni}`, {
    createConnection: () =>
      tls.connect({
        host: h.host,
        port: h.port,
        servername: options.sni,
        ALPNProtocols: ['istio-peer-exchange', 'istio', 'h2'],
        cert,
        key,
        ca,
        checkServerIdentity: (_name, peer) =>
          peer.subjectaltname === `URI:${options.san}`
            ? undefined
            : new Error(`server SAN ${peer.subjectaltname}, want ${options.san}`),
      }),
  });
  created.on('error', () => {});
  created.on('close', () => {
    if (sessions.get(id(h)) === created) sessions.delete(id(h));
  });
  sessions.set(id(h), created);
  return created;
}

/** One attempt: resolves the reply, or rejects with `retriable` set when no response had started. */
function attempt(h: Host): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let started = false;
    const fail = (message: string): void => reject(Object.assign(new Error(message), { retriable: !started }));
    const request = session(h).request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/helloworld.Greeter/SayHello',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let error: string | undefined;
    request.on('response', (headers) => {
      started = true;
      status = headers['grpc-status'] as string | undefined;
    });
    request.on('trailers', (trailers) => (status = (trailers['grpc-status'] as string | undefined) ?? status));
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', (e: Error) => (error = e.message));
    request.setTimeout(5_000, () => request.close(constants.NGHTTP2_CANCEL));
    request.on('close', () => {
      const body = Buffer.concat(chunks);
      if (status === '0' && body.length >= 5) resolve(JSON.parse(body.subarray(5).toString('utf8')) as Reply);
      else fail(`${id(h)}: ${error ?? `grpc-status ${status ?? 'none'}`}`);
    });
    const message = Buffer.from(JSON.stringify({ name: 'failover' }));
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    request.end(frame);
  });
}

async function rpc(): Promise<Reply & { attempts: number }> {
  const tried = new Set<string>();
  let last = 'no host';
  for (let attempts = 1; attempts <= 1 + options.retries; attempts += 1) {
    const h = pick(tried);
    if (!h) break;
    tried.add(id(h));
    try {
      const reply = await attempt(h);
      failuresInARow.delete(id(h));
      return { ...reply, attempts };
    } catch (error: unknown) {
      last = error instanceof Error ? error.message : String(error);
      const failures = (failuresInARow.get(id(h)) ?? 0) + 1;
      failuresInARow.set(id(h), failures);
      if (failures >= options.ejectAfter) ejected.add(id(h));
      if (!(error instanceof Error && (error as Error & { retriable?: boolean }).retriable)) break;
    }
  }
  throw new Error(last);
}

const deadline = Date.now() + options.maxMs;
for (let i = 0; i < options.count && Date.now() < deadline; i += 1) {
  try {
    const reply = await rpc();
    console.log(JSON.stringify({ i, server: reply.server, peer: reply.peer, attempts: reply.attempts }));
  } catch (error: unknown) {
    console.log(JSON.stringify({ i, error: error instanceof Error ? error.message : String(error) }));
  }
  await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
}
console.log(JSON.stringify({ done: true }));
for (const s of sessions.values()) s.close();
