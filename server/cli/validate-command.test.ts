import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runValidate } from './validate-command.ts';

const SEED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'seed', 'meshpilot.yaml');

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'meshpilot-validate-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeFiles(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

async function validate(configPath: string): Promise<{ code: number; lines: string[] }> {
  const chunks: string[] = [];
  const code = await runValidate(configPath, { write: (line) => chunks.push(line) });
  expect(chunks.every((chunk) => chunk.endsWith('\n') && chunk.indexOf('\n') === chunk.length - 1)).toBe(true);
  return { code, lines: chunks.map((chunk) => chunk.slice(0, -1)) };
}

const POD = 'apiVersion: v1\nkind: Pod\nmetadata: { name: helloworld, namespace: default }\n';

describe('runValidate', () => {
  it('passes the bundled seed example', async () => {
    const { code, lines } = await validate(SEED_CONFIG);
    expect(lines).toEqual([
      'config OK: 2 kube clusters, 2 networks, 1 config source, 15 manifest objects in 3 folders',
    ]);
    expect(code).toBe(0);
  });

  it('prints exactly the three mistakes of a config, with their paths, and fails', async () => {
    await writeFiles({
      'cluster-a/pod.yaml': POD,
      'meshpilot.yaml': `meshId: mesh1
listen:
  admin: 127.0.0.1:99999
clusters:
  - name: cluster-a
    network: group20
    manifests: ./cluster-a/
    region: cn
meshNetworks:
  networks:
    group20:
      endpoints:
        - fromRegistry: cluster-x
`,
    });
    const configPath = join(root, 'meshpilot.yaml');
    const { code, lines } = await validate(configPath);
    expect(lines).toEqual([
      'listen.admin: bad port "99999"; expected "host:port" or "[ipv6]:port" with port 0..65535, e.g. "0.0.0.0:15010" or "[::1]:15010" (line 3) [MESHPILOT_ERR_CONFIG_BAD_ADDRESS]',
      'clusters[0].region: unknown key "region"; expected one of: name, network, kubeconfig, manifests, kubeconfigAllow (line 8) [MESHPILOT_ERR_CONFIG_UNKNOWN_KEY]',
      'meshNetworks.networks.group20.endpoints[0].fromRegistry: unknown cluster "cluster-x": expected one of the clusters: "cluster-a" (line 13) [MESHPILOT_ERR_CONFIG_UNKNOWN_CLUSTER]',
      `${configPath}: validation failed: 3 errors in the config (manifest folders are checked once the config is valid)`,
    ]);
    expect(code).toBe(1);
  });

  it('reports a YAML syntax error by line and column', async () => {
    await writeFiles({ 'meshpilot.yaml': 'meshId: mesh1\nlisten: { admin: 127.0.0.1:15014\n' });
    const configPath = join(root, 'meshpilot.yaml');
    const { code, lines } = await validate(configPath);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: YAML syntax error at line 3, column 1: .* \\[MESHPILOT_ERR_CONFIG_YAML\\]$`,
      ),
    );
  });

  it('reports errors in every referenced manifests folder, named relative to the config', async () => {
    await writeFiles({
      'meshpilot.yaml':
        'clusters:\n  - { name: cluster-a, manifests: ./clusters/a/ }\nconfig:\n  - { manifests: ./istio }\n',
      'clusters/a/pods.yaml': `${POD}---\napiVersion: v1\nkind: Pod\nmetadata: { namespace: default }\n`,
      'istio/dr.yaml': 'apiVersion: networking.istio.io/v1\nmetadata: { name: dr }\n',
    });
    const { code, lines } = await validate(join(root, 'meshpilot.yaml'));
    expect(lines).toEqual([
      'clusters/a/pods.yaml#1: metadata.name: required (expected a non-empty string) [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      'istio/dr.yaml#0: kind: required (expected a non-empty string) [MESHPILOT_ERR_MANIFEST_INVALID_OBJECT]',
      `${join(root, 'meshpilot.yaml')}: validation failed: 2 errors in 2 manifests folders`,
    ]);
    expect(code).toBe(1);
  });

  it('counts clusters, networks and objects when all is well', async () => {
    await writeFiles({
      'meshpilot.yaml':
        'clusters:\n  - { name: a, manifests: ./a }\n  - { name: b, manifests: ./a }\nmeshNetworks: { networks: { n1: { endpoints: [{ fromRegistry: a }] } } }\n',
      'a/pod.yaml': POD,
    });
    const { code, lines } = await validate(join(root, 'meshpilot.yaml'));
    expect(lines).toEqual(['config OK: 2 kube clusters, 1 network, 0 config sources, 1 manifest object in 1 folder']);
    expect(code).toBe(0);
  });

  it('names an EnvoyFilter, a RequestAuthentication, Gateway API objects, and Telemetry tracing as not supported (a DNS ServiceEntry is translated), and passes with warnings', async () => {
    await writeFiles({
      'meshpilot.yaml': 'clusters:\n  - { name: a, manifests: ./a }\nconfig:\n  - { manifests: ./istio }\n',
      'a/pod.yaml': POD,
      'istio/filters.yaml': `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: add-header, namespace: istio-system }
spec: { configPatches: [] }
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: default }
spec: { jwtRules: [{ issuer: "https://issuer.example" }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews, namespace: default }
spec: {}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: mesh-default, namespace: istio-system }
spec: { tracing: [{ randomSamplingPercentage: 10 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: external-api, namespace: default }
spec: { hosts: [api.example.com], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: not-istio, namespace: default }
`,
    });
    const { code, lines } = await validate(join(root, 'meshpilot.yaml'));
    const folder = join(root, 'istio');
    expect(lines).toEqual([
      `warning: EnvoyFilter istio-system/add-header (${folder}): not supported: EnvoyFilter (networking.istio.io) patches the generated Envoy config in Istio; meshpilot does not translate it and ignores it [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]`,
      `warning: RequestAuthentication default/jwt (${folder}): not supported: RequestAuthentication (security.istio.io) validates JWTs on inbound requests in Istio; meshpilot does not translate it and ignores it [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]`,
      `warning: HTTPRoute default/reviews (${folder}): not supported: HTTPRoute (gateway.networking.k8s.io) routes HTTP through Gateway API gateways and to mesh services in Istio; meshpilot does not translate it and ignores it [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]`,
      'warning: Telemetry istio-system/mesh-default: spec.tracing: not supported: meshpilot ignores it (only metrics are translated) [MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED]',
      'config OK with warnings: 1 kube cluster, 0 networks, 1 config source, 7 manifest objects in 2 folders; serve would ignore what 4 warnings above name (kinds or parts meshpilot does not translate)',
    ]);
    expect(code).toBe(0);
  });
});
