import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { GREETER_SERVICE, type HelloReply } from '../support/helloworld.ts';

/**
 * Run inside a network namespace: a greeter that requires mTLS with a mesh certificate (as a STRICT sidecar
 * would), answering with its name and the caller's SAN. argv: host port name cert-chain key root. Prints
 * {"listening":port} once bound.
 */
const [host, port, name, certFile, keyFile, rootFile] = process.argv.slice(2);
if (!host || !port || !name || !certFile || !keyFile || !rootFile)
  throw new Error('usage: host port name cert key root');
const server = new grpc.Server();
server.addService(GREETER_SERVICE, {
  SayHello: (
    call: grpc.ServerUnaryCall<unknown, HelloReply & { peer?: string }>,
    callback: grpc.sendUnaryData<HelloReply & { peer?: string }>,
  ) => {
    const peer = call.getAuthContext().sslPeerCertificate?.subjectaltname;
    callback(null, { message: 'hello', server: name, ...(peer ? { peer } : {}) });
  },
});
const credentials = grpc.ServerCredentials.createSsl(
  readFileSync(rootFile),
  [{ cert_chain: readFileSync(certFile), private_key: readFileSync(keyFile) }],
  true,
);
server.bindAsync(`${host}:${port}`, credentials, (error, bound) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(JSON.stringify({ listening: bound }));
});
process.on('SIGTERM', () => {
  server.forceShutdown();
  process.exit(0);
});
