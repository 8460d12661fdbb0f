// Generates TypeScript types for the Envoy resources meshpilot emits (npm run protos:types), with
// @grpc/proto-loader's proto-loader-gen-types, as @grpc/grpc-js-xds does, from the data-plane-api tree
// that @grpc/grpc-js-xds ships in deps/ (found through Node's module resolution). The output folder,
// protos/generated/, is not tracked: it is made again before typecheck, lint and build (npm pre-scripts).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const generator = join(
  dirname(require.resolve('@grpc/proto-loader/package.json')),
  'build',
  'bin',
  'proto-loader-gen-types.js',
);
const outDir = join(root, 'protos', 'generated');

/** The resources translators return, one proto file each (their dependencies come along). */
const FILES = [
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  // The Envoy bootstrap `meshpilot bootstrap` writes (translators/bootstrap.ts).
  'envoy/config/bootstrap/v3/bootstrap.proto',
  // What translators pack in an Any (typed_config), keyed by type URL in translators/common/typed-config.ts.
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver.proto',
  'udpa/type/v1/typed_struct.proto',
];
const INCLUDE_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(deps, dir));

rmSync(outDir, { recursive: true, force: true });
const result = spawnSync(
  process.execPath,
  [
    generator,
    '--keepCase',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments=false',
    '--importFileExtension=.ts',
    '--grpcLib=@grpc/grpc-js',
    `--outDir=${outDir}`,
    ...FILES,
    '-I',
    ...INCLUDE_DIRS,
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (result.status !== 0) {
  process.stderr.write(`proto-loader-gen-types exited with ${String(result.status)}\n`);
  process.exit(1);
}
