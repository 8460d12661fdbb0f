import type { MeshpilotConfig } from '../config/schema.ts';
import type { AdmissionHandler } from './webhook-server.ts';
import { injectAdmission } from './inject-webhook.ts';
import type { KubeNodesOf } from './native-sidecars.ts';
import { validateAdmission } from './validate-webhook.ts';

/**
 * The webhooks `webhooks:` turns on, by path (istiod's: /inject for sidecar injection, /validate for config).
 * kubeNodes: the Nodes of a member kube cluster (native sidecars, webhooks.nativeSidecars auto).
 */
export function webhookHandlers(
  config: MeshpilotConfig,
  context: { readonly kubeNodes?: KubeNodesOf } = {},
): Map<string, AdmissionHandler> {
  const handlers = new Map<string, AdmissionHandler>();
  const webhooks = config.webhooks;
  if (webhooks?.validation === true) handlers.set('/validate', (request) => validateAdmission(request));
  if (webhooks?.injection === true) {
    const settings = {
      revision: webhooks.revision,
      proxyImage: webhooks.proxyImage,
      nativeSidecars: webhooks.nativeSidecars,
      discoveryAddress: webhooks.discoveryAddress,
      meshId: config.meshId,
      trustDomain: config.trustDomain,
      domainSuffix: config.domainSuffix,
      ...(context.kubeNodes !== undefined ? { kubeNodes: context.kubeNodes } : {}),
    };
    handlers.set('/inject', (request, path) => injectAdmission(request, path, settings));
  }
  return handlers;
}
