/**
 * The helloworld gRPC server of the compose demo (the e2e tests' greeter), listening on
 * HOST:PORT (default 0.0.0.0:5000) until SIGTERM.
 */
import { startGreeter } from '../../e2e/support/helloworld.ts';

const host = process.env['HOST'] ?? '0.0.0.0';
const port = Number(process.env['PORT'] ?? '5000');
const server = await startGreeter(host, port);
process.stdout.write(`helloworld listening on ${server.address}:${server.port}\n`);
const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
