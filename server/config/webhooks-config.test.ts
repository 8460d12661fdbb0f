import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.ts';
import { DEFAULT_WEBHOOKS } from './webhooks-schema.ts';

const parse = (text: string) => parseConfigText(text, '/nowhere/meshpilot.yaml');
const errorsOf = async (text: string) => {
  const result = await parse(text);
  return result.ok ? [] : result.errors.map((e) => [e.path, e.code]);
};

describe('webhooks config section', () => {
  it('is absent unless given, and `webhooks: {}` takes istiod-like defaults', async () => {
    const none = await parse('security: {}\n');
    expect(none.ok && none.config.webhooks).toBeUndefined();
    const defaults = await parse('security: {}\nwebhooks: {}\n');
    expect(defaults.ok && defaults.config.webhooks).toEqual({ ...DEFAULT_WEBHOOKS, injection: true, validation: true });
    expect(DEFAULT_WEBHOOKS.listen).toBe('0.0.0.0:15017');
  });

  it('needs a security section (the serving certificate comes from its CA)', async () => {
    expect(await errorsOf('webhooks: {}\n')).toEqual([['webhooks', 'MESHPILOT_ERR_CONFIG_REQUIRED']]);
  });

  it('names unknown keys and bad values by path', async () => {
    expect(
      await errorsOf(
        'security: {}\nwebhooks: { listen: nowhere, revision: Canary_1, discoveryAddress: "no port", injection: 1, proxyimage: x }\n',
      ),
    ).toEqual(
      expect.arrayContaining([
        ['webhooks.listen', 'MESHPILOT_ERR_CONFIG_BAD_ADDRESS'],
        ['webhooks.revision', 'MESHPILOT_ERR_CONFIG_BAD_NAME'],
        ['webhooks.discoveryAddress', 'MESHPILOT_ERR_CONFIG_BAD_ADDRESS'],
        ['webhooks.injection', 'MESHPILOT_ERR_CONFIG_INVALID_TYPE'],
        ['webhooks.proxyimage', 'MESHPILOT_ERR_CONFIG_UNKNOWN_KEY'],
      ]),
    );
  });

  it('nativeSidecars: auto by default (istiod ENABLE_NATIVE_SIDECARS), true and false kept, anything else named', async () => {
    expect(DEFAULT_WEBHOOKS.nativeSidecars).toBe('auto');
    for (const value of [true, false, 'auto'] as const) {
      const parsed = await parse(`security: {}\nwebhooks: { nativeSidecars: ${JSON.stringify(value)} }\n`);
      expect(parsed.ok && parsed.config.webhooks?.nativeSidecars).toBe(value);
    }
    const refused = await parse('security: {}\nwebhooks: { nativeSidecars: "yes" }\n');
    expect(refused.ok ? [] : refused.errors.map((e) => [e.path, e.message])).toEqual([
      ['webhooks.nativeSidecars', expect.stringContaining('expected true, false or "auto"')],
    ]);
  });
});
