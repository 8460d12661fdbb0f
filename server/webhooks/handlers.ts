import type { MeshpilotConfig } from '../config/schema.ts';
import type { AdmissionHandler } from './webhook-server.ts';
import { validateAdmission } from './validate-webhook.ts';

/** The webhooks `webhooks:` turns on, by path (istiod's: /inject for sidecar injection, /validate for config). */
export function webhookHandlers(config: MeshpilotConfig): Map<string, AdmissionHandler> {
  const handlers = new Map<string, AdmissionHandler>();
  if (config.webhooks?.validation === true) handlers.set('/validate', (request) => validateAdmission(request));
  return handlers;
}
