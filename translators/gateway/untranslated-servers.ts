import type { GatewayServer, IstioConfig } from '../../model/istio/types.ts';
import { isAutoPassthrough } from './selected-gateways.ts';

const UNSUPPORTED_KIND_CODE = 'MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED';

/** Whether meshpilot builds a gateway proxy's listener for this server: AUTO_PASSTHROUGH (east-west) so far. */
export function isTranslatedServer(server: GatewayServer): boolean {
  return isAutoPassthrough(server);
}

/**
 * The servers of a valid Gateway that meshpilot does not build listeners for, one warning each, so that
 * validate, the logs, /debug/configz and the validation webhook say so instead of a gateway silently
 * missing a port Istio would open.
 */
export function untranslatedGatewayServers(config: IstioConfig<'Gateway'>): string[] {
  return config.spec.servers.flatMap((server, index) =>
    isTranslatedServer(server)
      ? []
      : [
          `spec.servers[${index}]: not supported: meshpilot builds no listener for a ${server.port.protocol.toUpperCase()} server${server.tls?.mode !== undefined ? ` with tls.mode ${server.tls.mode}` : ''} on port ${server.port.number} (Istio opens it on the selected gateways) [${UNSUPPORTED_KIND_CODE}]`,
        ],
  );
}
