import { z } from 'zod';
import type { MetricsOverride, TelemetrySpec } from '../../model/istio/types.ts';
import { duration, ignored, issue, unsupported, without, workloadSelector } from './schema-common.ts';

// telemetry.istio.io/v1 Telemetry: metrics only (tag overrides such as source_cluster). Access
// logging and tracing do not change any xDS meshpilot sends yet, so they are accepted and dropped.

const METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
] as const;

const tagOverride = z
  .strictObject({ operation: z.enum(['UPSERT', 'REMOVE']).default('UPSERT'), value: z.string().optional() })
  .transform((t, ctx): { operation: 'UPSERT'; value: string } | { operation: 'REMOVE' } => {
    if (t.operation === 'REMOVE') {
      if (t.value !== undefined) {
        issue(ctx, ['value'], 'must not be set when operation is REMOVE');
        return z.NEVER;
      }
      return { operation: 'REMOVE' };
    }
    if (t.value === undefined || t.value === '') {
      issue(
        ctx,
        ['value'],
        'required when operation is UPSERT (a CEL expression like "node.metadata[\'CLUSTER_ID\']")',
      );
      return z.NEVER;
    }
    return { operation: 'UPSERT', value: t.value };
  });

const override = z
  .strictObject({
    match: z
      .strictObject({
        metric: z.enum(METRICS).optional(),
        customMetric: z.string().min(1).optional(),
        mode: z.enum(['CLIENT_AND_SERVER', 'CLIENT', 'SERVER']).optional(),
      })
      .superRefine((m, ctx) => {
        if (m.metric !== undefined && m.customMetric !== undefined)
          issue(ctx, [], 'cannot set both "metric" and "customMetric"');
      })
      .optional(),
    disabled: z.boolean().optional(),
    tagOverrides: z.record(z.string().min(1), tagOverride).optional(),
  })
  .transform((o): MetricsOverride => o);

const metrics = z.strictObject({
  providers: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  overrides: z.array(override).optional(),
  reportingInterval: duration().optional(),
});

export const TelemetrySchema = z
  .strictObject({
    selector: workloadSelector.optional(),
    metrics: z.array(metrics).optional(),
    accessLogging: ignored,
    tracing: ignored,
    targetRef: unsupported('targetRef'),
    targetRefs: unsupported('targetRefs'),
  })
  .transform((t): TelemetrySpec => without(t, ['accessLogging', 'tracing', 'targetRef', 'targetRefs']));
