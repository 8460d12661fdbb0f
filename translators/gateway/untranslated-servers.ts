import type { GatewayServer, IstioConfig } from '../../model/istio/types.ts';

const UNSUPPORTED_KIND_CODE = 'MESHPILOT_ERR_ISTIO_KIND_UNSUPPORTED';

/**
 * What meshpilot cannot build for a Gateway server, or undefined when it builds it as Istio does:
 * AUTO_PASSTHROUGH (east-west), HTTP, HTTPS and TLS with SIMPLE / MUTUAL / OPTIONAL_MUTUAL through
 * credentialName, httpsRedirect, TLS PASSTHROUGH and plain TCP (translators/gateway/ingress-*.ts).
 */
export function untranslatedPart(server: GatewayServer): string | undefined {
  if (server.tls?.mode === 'ISTIO_MUTUAL') return 'tls.mode ISTIO_MUTUAL (the mesh certificate on a gateway port)';
  return undefined;
}

/** Whether meshpilot builds a gateway proxy's listener for this server as Istio does. */
export function isTranslatedServer(server: GatewayServer): boolean {
  return untranslatedPart(server) === undefined;
}

/**
 * The servers of a valid Gateway, or parts of them, that meshpilot does not build, one warning each, so
 * that validate, the logs, /debug/configz and the validation webhook say so instead of a gateway silently
 * missing what Istio would configure.
 */
export function untranslatedGatewayServers(config: IstioConfig<'Gateway'>): string[] {
  return config.spec.servers.flatMap((server, index) => {
    const part = untranslatedPart(server);
    return part === undefined
      ? []
      : [
          `spec.servers[${index}]: not supported: ${part} on the ${server.port.protocol.toUpperCase()} server on port ${server.port.number}: meshpilot builds no listener for it (Istio does) [${UNSUPPORTED_KIND_CODE}]`,
        ];
  });
}
