import { z } from 'zod';
import type { WorkloadGroupSpec } from '../../model/istio/types.ts';
import { issue, labels, nonNegativeInt, port } from './schema-common.ts';
import { workloadEntry } from './schema-service-entry-sidecar.ts';

// networking.istio.io/v1 WorkloadGroup; rules from Istio's ValidateWorkloadGroup and validateReadinessProbe.

/** An HTTP header name (RFC 7230 token), as Istio's ValidateProbeHeaderName. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const httpGet = z.strictObject({
  path: z.string().optional(),
  port,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: z
    .array(
      z.strictObject({
        name: z.string().superRefine((name, ctx) => {
          if (!HEADER_NAME.test(name)) issue(ctx, [], `invalid HTTP header name ${JSON.stringify(name)}`);
        }),
        value: z.string().optional(),
      }),
    )
    .optional(),
});

const readinessProbe = z
  .strictObject({
    initialDelaySeconds: nonNegativeInt.optional(),
    timeoutSeconds: nonNegativeInt.optional(),
    periodSeconds: nonNegativeInt.optional(),
    successThreshold: nonNegativeInt.optional(),
    failureThreshold: nonNegativeInt.optional(),
    httpGet: httpGet.optional(),
    tcpSocket: z.strictObject({ host: z.string().optional(), port }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).optional() }).optional(),
  })
  .superRefine((probe, ctx) => {
    const methods = (['httpGet', 'tcpSocket', 'exec'] as const).filter((m) => probe[m] !== undefined);
    if (methods.length === 0) issue(ctx, [], 'one of httpGet, tcpSocket or exec is required');
    if (methods.length > 1) issue(ctx, [], `only one health check method is allowed, got ${methods.join(', ')}`);
    if (probe.exec !== undefined && (probe.exec.command ?? []).length === 0)
      issue(ctx, ['exec', 'command'], 'exec.command is required');
  });

/**
 * A WorkloadGroup: a template is required (its address may be left out: auto-registration fills it in, so
 * the template is not validated as a WorkloadEntry), metadata labels are Kubernetes labels, the probe has
 * one method and non-negative counts.
 */
export const WorkloadGroupSchema = z
  .strictObject({
    metadata: z
      .strictObject({ labels: labels.optional(), annotations: z.record(z.string(), z.string()).optional() })
      .optional(),
    template: workloadEntry.optional(),
    probe: readinessProbe.optional(),
  })
  .superRefine((group, ctx) => {
    if (group.template === undefined) issue(ctx, ['template'], 'template is required');
  })
  .transform((group): WorkloadGroupSpec => ({
    ...(group.metadata !== undefined ? { metadata: group.metadata } : {}),
    template: group.template ?? {},
  }));
