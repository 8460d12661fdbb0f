import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AdsTestClient, type DecodedResponse } from '../support/ads-client.ts';
import { tempDir } from '../support/mesh-fixture.ts';
import { startRealKubeClusters, type RealKubeCluster } from '../support/real-kube-cluster.ts';
import { startRealMeshpilot } from '../support/real-meshpilot.ts';
import { SECRET_TYPE } from '../../protos/type-urls.ts';

/**
 * An ingress gateway's credential over SDS from a real kube-apiserver: meshpilot reads the Secret a Gateway
 * names (credentialName) from the gateway's namespace of its kube cluster and serves it to the gateway's
 * authenticated ADS stream as `kubernetes://<credentialName>`; a rotated Secret is pushed.
 */

const NODE_ID = 'router~10.0.0.9~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local';
const NAME = 'kubernetes://hello-cred';

function routerNode(): Record<string, unknown> {
  const str = (v: string) => ({ stringValue: v });
  return {
    id: NODE_ID,
    metadata: {
      fields: {
        CLUSTER_ID: str('c1'),
        NAMESPACE: str('istio-system'),
        LABELS: { structValue: { fields: { istio: str('ingressgateway') } } },
      },
    },
  };
}

function tlsSecret(certPem: string, keyPem: string): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hello-cred', namespace: 'istio-system' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem) },
  });
}

function chainOf(response: DecodedResponse): string | undefined {
  const secret = response.resources.find((r) => r.name === NAME);
  const chain = (secret?.tls_certificate as { certificate_chain?: { inline_bytes?: string } } | undefined)
    ?.certificate_chain?.inline_bytes;
  return chain === undefined ? undefined : Buffer.from(chain, 'base64').toString('utf8');
}

describe('Gateway credentials over SDS from a real kube-apiserver', { timeout: 120_000 }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let cluster: RealKubeCluster;
  let meshpilot: Awaited<ReturnType<typeof startRealMeshpilot>>;
  let client: AdsTestClient | undefined;

  beforeAll(async () => {
    dir = await tempDir('gateway-credentials');
    [cluster] = await startRealKubeClusters(dir.path, [{ name: 'c1' }]);
    await cluster.kubectl(['create', 'namespace', 'istio-system']);
    const istio = join(dir.path, 'istio');
    await mkdir(istio, { recursive: true });
    await writeFile(
      join(istio, 'gateway.yaml'),
      stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'Gateway',
        metadata: { name: 'public', namespace: 'istio-system' },
        spec: {
          selector: { istio: 'ingressgateway' },
          servers: [
            {
              port: { number: 443, name: 'https', protocol: 'HTTPS' },
              tls: { mode: 'SIMPLE', credentialName: 'hello-cred' },
              hosts: ['hello.example.com'],
            },
          ],
        },
      }),
    );
    meshpilot = await startRealMeshpilot(dir.path, {
      clusters: [{ name: 'c1', kubeconfig: cluster.kubeconfigPath }],
      config: [{ manifests: istio }],
    });
  });

  afterAll(async () => {
    client?.close();
    await meshpilot?.stop();
    await cluster?.stop();
    await dir?.remove();
  });

  /** Reads responses (acknowledging each) until the credential's chain is `expected`. */
  async function chainBecomes(stream: AdsTestClient, expected: string): Promise<string | undefined> {
    for (let index = 0; index < 20; index += 1) {
      const response = await stream.responses.next(15_000);
      stream.send({
        type_url: SECRET_TYPE,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: ['ROOTCA', NAME],
      });
      const chain = chainOf(response);
      if (chain === expected) return chain;
    }
    throw new Error('the credential did not become the expected one within 20 responses');
  }

  it('serves the Secret the Gateway names to the authenticated gateway and pushes its rotation', async () => {
    const ca = meshpilot.security!.ca;
    const first = await ca.issueWorkloadCertificate({ namespace: 'x', serviceAccount: 'first' });
    const second = await ca.issueWorkloadCertificate({ namespace: 'x', serviceAccount: 'second' });
    await cluster.kubectl(['apply', '-f', '-'], { input: tlsSecret(first.certChainPem, first.privateKeyPem) });

    const gateway = await ca.issueWorkloadCertificate({
      namespace: 'istio-system',
      serviceAccount: 'istio-ingressgateway',
    });
    client = new AdsTestClient(meshpilot.xdsTlsAddress, 'sotw', {
      credentials: credentials.createSsl(
        Buffer.from(meshpilot.rootCertPem),
        Buffer.from(gateway.privateKeyPem),
        Buffer.from(gateway.certChainPem),
      ),
    });
    client.send({ node: routerNode(), type_url: SECRET_TYPE, resource_names: ['ROOTCA', NAME] });
    expect(await chainBecomes(client, first.certChainPem)).toBe(first.certChainPem);

    await cluster.kubectl(['apply', '-f', '-'], { input: tlsSecret(second.certChainPem, second.privateKeyPem) });
    expect(await chainBecomes(client, second.certChainPem)).toBe(second.certChainPem);
  });
});
