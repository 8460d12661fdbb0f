import { readFileSync } from 'node:fs';
import { connect, constants } from 'node:http2';
import * as tls from 'node:tls';

/**
 * Run inside a network namespace: the data path of an Istio sidecar's outbound mTLS connection, with what meshpilot
 * put in the sidecar's Cluster and ClusterLoadAssignment: dial the endpoint (here the remote network's gateway),
 * TLS with the cluster's SNI, Istio's ALPNs (`istio-peer-exchange`, `istio`, `h2`), the workload certificate, and
 * the server's SPIFFE id checked against the cluster's SAN; then unary gRPC calls (the JSON greeter) over HTTP/2.
 * argv: host port sni expectedSan cert key root count. Prints {"byServer":{..},"peers":[..],"failures":n,"errors":[..]}.
 */
const [host, port, sni, san, certFile, keyFile, rootFile, countArg] = process.argv.slice(2);
if (!host || !port || !sni || !san || !certFile || !keyFile || !rootFile) throw new Error('usage: see the file header');
const count = Number(countArg ?? '10');
const session = connect(`https://${sni}`, {
  createConnection: () =>
    tls.connect({
      host,
      port: Number(port),
      servername: sni,
      ALPNProtocols: ['istio-peer-exchange', 'istio', 'h2'],
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      ca: readFileSync(rootFile),
      checkServerIdentity: (_name, cert) =>
        cert.subjectaltname === `URI:${san}` ? undefined : new Error(`server SAN ${cert.subjectaltname}, want ${san}`),
    }),
});
session.on('error', () => {});

function call(): Promise<{ server: string; peer?: string }> {
  return new Promise((resolve, reject) => {
    const request = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/helloworld.Greeter/SayHello',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    request.on('response', (headers) => (status = headers['grpc-status'] as string | undefined));
    request.on('trailers', (trailers) => (status = (trailers['grpc-status'] as string | undefined) ?? status));
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', reject);
    request.setTimeout(5_000, () => request.close(constants.NGHTTP2_CANCEL));
    request.on('close', () => {
      const body = Buffer.concat(chunks);
      if (status !== '0' || body.length < 5) reject(new Error(`grpc-status ${status ?? 'none'}`));
      else resolve(JSON.parse(body.subarray(5).toString('utf8')) as { server: string; peer?: string });
    });
    const message = Buffer.from(JSON.stringify({ name: 'cross-network' }));
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    request.end(frame);
  });
}

const byServer: Record<string, number> = {};
const peers = new Set<string>();
const errors: string[] = [];
for (let i = 0; i < count; i += 1) {
  try {
    const reply = await call();
    byServer[reply.server] = (byServer[reply.server] ?? 0) + 1;
    if (reply.peer) peers.add(reply.peer);
  } catch (error: unknown) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
}
console.log(JSON.stringify({ byServer, peers: [...peers], failures: errors.length, errors: errors.slice(0, 5) }));
session.close();
