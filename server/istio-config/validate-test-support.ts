import { parse } from 'yaml';
import type { AnyIstioConfig } from '../../model/istio/types.ts';
import { validateIstioObject } from './validate.ts';

const ORIGIN = { type: 'file', path: '/test/config.yaml' } as const;

/** Parses one YAML manifest and validates it; throws with the errors when it is invalid. */
export function accepted(yamlText: string): AnyIstioConfig {
  const result = validateIstioObject(parse(yamlText), ORIGIN, 'v1');
  if (!result.valid) throw new Error(`expected valid, got:\n${result.errors.join('\n')}`);
  return result.result;
}

/** The errors of an object of `kind` (apiVersion derived) with `spec`; [] when it is valid. */
export function errorsOf(
  kind: string,
  spec: unknown,
  metadata: Record<string, unknown> = { name: 'test', namespace: 'default' },
): string[] {
  const group = ['PeerAuthentication', 'AuthorizationPolicy'].includes(kind)
    ? 'security.istio.io'
    : kind === 'Telemetry'
      ? 'telemetry.istio.io'
      : 'networking.istio.io';
  const result = validateIstioObject({ apiVersion: `${group}/v1`, kind, metadata, spec }, ORIGIN, 'v1');
  return result.valid ? [] : result.errors;
}
