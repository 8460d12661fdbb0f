import { z } from 'zod';
import { parseListenAddress } from './address.ts';
import { ConfigErrorCode } from './config-error.ts';

// The `webhooks:` section of meshpilot.yaml: Istio's sidecar injection (/inject) and config validation
// (/validate) webhooks over HTTPS, served with a certificate from meshpilot's CA (needs `security:`).

export const DEFAULT_WEBHOOKS = {
  listen: '0.0.0.0:15017',
  revision: 'default',
  proxyImage: 'docker.io/istio/proxyv2:1.29.0',
  discoveryAddress: 'istiod.istio-system.svc:15012',
  nativeSidecars: 'auto',
} as const;

const listenAddress = z.string().superRefine((value, ctx) => {
  const parsed = parseListenAddress(value);
  if (!parsed.ok)
    ctx.addIssue({ code: 'custom', message: parsed.message, params: { code: ConfigErrorCode.badAddress } });
});

/** host:port a proxy dials (a DNS name or IP, and a port). */
const dialAddress = z
  .string()
  .refine((value) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(value) || /^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(value), {
    message: 'expected "host:port" like "istiod.istio-system.svc:15012"',
    params: { code: ConfigErrorCode.badAddress },
  });

const revision = z.string().refine((value) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value), {
  message: 'expected a revision name like "default" or "1-29": lowercase letters, digits and "-"',
  params: { code: ConfigErrorCode.badName },
});

export const WebhooksSchema = z.strictObject({
  /** HTTPS address of /inject and /validate (istiod: 15017). */
  listen: listenAddress.default(DEFAULT_WEBHOOKS.listen),
  /** The revision injected pods carry (istio.io/rev); "default" also answers istio-injection=enabled. */
  revision: revision.default(DEFAULT_WEBHOOKS.revision),
  /** Image of the istio-proxy sidecar and istio-init containers (Istio's global.hub/proxyv2:global.tag). */
  proxyImage: z.string().min(1).default(DEFAULT_WEBHOOKS.proxyImage),
  /** Where injected proxies find meshpilot (mesh config defaultConfig.discoveryAddress; also CA_ADDR). */
  discoveryAddress: dialAddress.default(DEFAULT_WEBHOOKS.discoveryAddress),
  /**
   * istio-proxy as a Kubernetes native sidecar (an init container with restartPolicy Always), as istiod's
   * ENABLE_NATIVE_SIDECARS: true or false for every pod; "auto" (Istio's default) when the pod's node, or
   * (not scheduled yet) every node of the member cluster the /inject path names, runs kubelet 1.33 or later,
   * and never for a cluster meshpilot does not watch. A pod's sidecar.istio.io/nativeSidecar annotation
   * ("true"/"false") decides for that pod, as with Istio.
   */
  nativeSidecars: z
    .union([z.boolean(), z.literal('auto')], {
      error: 'expected true, false or "auto" (Istio\'s ENABLE_NATIVE_SIDECARS)',
    })
    .default(DEFAULT_WEBHOOKS.nativeSidecars),
  injection: z.boolean().default(true),
  validation: z.boolean().default(true),
});

export type WebhooksConfig = z.output<typeof WebhooksSchema>;
