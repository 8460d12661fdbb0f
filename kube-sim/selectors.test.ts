import { describe, expect, it } from 'vitest';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';

describe('selectors', () => {
  it('parses every label operator and matches as Kubernetes does (!= and notin match absent keys)', () => {
    const selector = parseLabelSelector('app in (web, api),tier!=db,env notin (prod),version,!canary,zone==z1');
    expect(selector.map((r) => r.op)).toEqual(['in', '!=', 'notin', 'exists', '!exists', '=']);
    expect(matchesLabels(selector, { app: 'web', version: 'v1', zone: 'z1' })).toBe(true);
    expect(matchesLabels(selector, { app: 'web', version: 'v1', zone: 'z1', canary: '' })).toBe(false);
    expect(matchesLabels(selector, { app: 'web', version: 'v1', zone: 'z1', env: 'prod' })).toBe(false);
    expect(matchesLabels(selector, { app: 'db', version: 'v1', zone: 'z1' })).toBe(false);
    expect(matchesLabels(parseLabelSelector(''), {})).toBe(true);
  });

  it('rejects malformed selectors with a 400 naming the bad part', () => {
    expect(() => parseLabelSelector('app=web,,x')).toThrow(/empty requirement/);
    expect(() => parseLabelSelector('a b=c')).toThrow(/invalid label key "a b"/);
    expect(() => parseFieldSelector('spec.clusterIP=1.2.3.4', 'Service')).toThrow(
      /field label not supported: spec.clusterIP/,
    );
    expect(() => parseFieldSelector('metadata.name', 'Service')).toThrow(/can't understand/);
  });

  it('matches field selectors on metadata and kind-specific fields', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
    expect(matchesFields(parseFieldSelector('metadata.namespace=ns,spec.nodeName=n1', 'Pod'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('status.phase!=Running', 'Pod'), pod)).toBe(false);
  });
});
