/**
 * meshpilot's @grpc/grpc-js-xds interop client: dials an xds:/// target (bootstrap from GRPC_XDS_BOOTSTRAP) and
 * answers the JSON line protocol of ../support/client-process.ts, like the Go, Java and Python clients under interop/.
 * Run as `node --import tsx e2e/interop/clients/grpc-js-client.ts --target=xds:///… [--creds=xds]`.
 */
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { GreeterClient, type HelloReply } from '../../support/helloworld.ts';
import { fetchClientStatus, startCsds } from '../support/csds.ts';
import { errorMessage } from '../../../common/error-message.ts';

grpcXds.register();

interface Command {
  readonly op?: string;
  readonly count?: number;
  readonly intervalMs?: number;
  readonly deadlineMs?: number;
  readonly metadata?: Record<string, string>;
}

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function sayHello(client: grpc.Client, name: string, metadata: grpc.Metadata, deadlineMs: number): Promise<HelloReply> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest<{ name: string }, HelloReply>(
      '/helloworld.Greeter/SayHello',
      (value) => Buffer.from(JSON.stringify(value)),
      (bytes) => JSON.parse(bytes.toString('utf8')) as HelloReply,
      { name },
      metadata,
      { deadline: Date.now() + deadlineMs },
      (error, reply) => (error || !reply ? reject(error ?? new Error('empty reply')) : resolve(reply)),
    );
  });
}

async function rpcs(client: grpc.Client, command: Command): Promise<unknown> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(command.metadata ?? {})) metadata.set(key, value);
  const byPeer: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  const errors: string[] = [];
  let failures = 0;
  for (let i = 0; i < (command.count ?? 0); i += 1) {
    try {
      const reply = await sayHello(client, `rpc-${i}`, metadata, command.deadlineMs ?? 5_000);
      byPeer[reply.server] = (byPeer[reply.server] ?? 0) + 1;
    } catch (error: unknown) {
      failures += 1;
      const code = String((error as Partial<grpc.ServiceError>).code ?? grpc.status.UNKNOWN);
      byCode[code] = (byCode[code] ?? 0) + 1;
      if (errors.length < 5) errors.push(errorMessage(error));
    }
    if (command.intervalMs) await new Promise((resolve) => setTimeout(resolve, command.intervalMs));
  }
  return { byPeer, byCode, failures, errors };
}

async function csds(client: grpc.Client): Promise<unknown> {
  return { csds: (await fetchClientStatus(client)).toString('base64') };
}

async function main(): Promise<void> {
  const target = flag('target');
  if (!target) throw new Error('--target=xds:///host:port is required');
  const credentials =
    flag('creds') === 'xds'
      ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())
      : grpc.credentials.createInsecure();
  const client = new GreeterClient(target, credentials);
  const status = await startCsds();
  const version = (createRequire(import.meta.url)('@grpc/grpc-js-xds/package.json') as { version: string }).version;
  process.stdout.write(`${JSON.stringify({ version: `grpc-js-xds ${version}` })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    let out: unknown;
    try {
      const command = JSON.parse(line) as Command;
      if (command.op === 'rpcs') out = await rpcs(client, command);
      else if (command.op === 'csds') out = await csds(status.client);
      else out = { error: `unknown op ${String(command.op)}` };
    } catch (error: unknown) {
      out = { error: errorMessage(error) };
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
  client.close();
  status.client.close();
  status.server.forceShutdown();
}

main().catch((error: unknown) => {
  process.stderr.write(`grpc-js client: ${errorMessage(error)}\n`);
  process.exit(1);
});
