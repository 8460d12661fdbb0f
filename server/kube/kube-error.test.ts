import { describe, expect, it } from 'vitest';
import { describeKubeError } from './kube-error.ts';

describe('describeKubeError', () => {
  it('says status and reason for API errors, with the Status message when the body has one', () => {
    expect(
      describeKubeError(
        Object.assign(new Error('HTTP-Code: 401\nMessage: Unauthorized\nBody: undefined\nHeaders: {}'), { code: 401 }),
      ),
    ).toBe('401 Unauthorized');
    const forbidden = Object.assign(new Error('HTTP-Code: 403'), {
      code: 403,
      body: JSON.stringify({ kind: 'Status', message: 'pods is forbidden: User "x" cannot list resource "pods"' }),
    });
    expect(describeKubeError(forbidden)).toBe('403 Forbidden: pods is forbidden: User "x" cannot list resource "pods"');
    expect(describeKubeError(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe('410 Gone');
  });

  it('keeps only the reason of a network error, not the URL', () => {
    const refused = Object.assign(
      new Error(
        'request to https://127.0.0.1:1234/api/v1/pods?limit=500 failed, reason: connect ECONNREFUSED 127.0.0.1:1234',
      ),
      { code: 'ECONNREFUSED' },
    );
    expect(describeKubeError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:1234');
    expect(describeKubeError(new Error('Premature close'))).toBe('Premature close');
    expect(describeKubeError('plain text')).toBe('plain text');
  });

  it('masks the given secrets wherever they appear', () => {
    expect(describeKubeError(new Error('bad token abcd1234efgh in header'), ['abcd1234efgh'])).toBe(
      'bad token <redacted> in header',
    );
  });
});
