import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * Loads Envoy's data-plane API from the `deps/` tree that @grpc/grpc-js-xds ships (found through
 * Node's module resolution), protobufjs's well-known types, and our own protos in this folder.
 */
const ENVOY_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/admin/v3/config_dump.proto',
  'envoy/admin/v3/clusters.proto',
  'envoy/service/status/v3/csds.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver.proto',
  'udpa/type/v1/typed_struct.proto',
  'xds/type/v3/typed_struct.proto',
];

const OWN_FILES = ['istio/networking/nds/v1/nds.proto', 'istio/security/v1alpha1/ca.proto'];

export interface ProtoPaths {
  readonly includeDirs: readonly string[];
}

export function findProtoPaths(): ProtoPaths {
  const require = createRequire(import.meta.url);
  const xdsRoot = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const protobufRoot = dirname(require.resolve('protobufjs/package.json'));
  const deps = join(xdsRoot, 'deps');
  const ownDir = dirname(fileURLToPath(import.meta.url));
  return {
    includeDirs: [
      ownDir,
      join(deps, 'envoy-api'),
      join(deps, 'xds'),
      join(deps, 'googleapis'),
      join(deps, 'protoc-gen-validate'),
      protobufRoot,
    ],
  };
}

function buildRoot(paths: ProtoPaths): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    for (const dir of paths.includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync([...ENVOY_FILES, ...OWN_FILES], { keepCase: true });
  root.resolveAll();
  return root;
}

let loaded: protobuf.Root | undefined;

/** The shared, fully resolved proto root. Loaded once per process; read-only afterwards. */
export function protoRoot(): protobuf.Root {
  loaded ??= buildRoot(findProtoPaths());
  return loaded;
}

export function lookupMessage(fullName: string): protobuf.Type {
  return protoRoot().lookupType(fullName);
}
