import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

describe('registry change counters', () => {
  it('pilot_inbound_updates and pilot_k8s_reg_events show every counted change when read, once', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.countRegistryChange('EndpointSlice', 'EndpointSlice', 'update');
    metrics.countRegistryChange('EndpointSlice', 'EndpointSlice', 'update');
    metrics.countRegistryChange('Pod', 'Pods', 'delete');
    const values = async (): Promise<Record<string, number>> => {
      const text = await metrics.registry.metrics();
      const lines = text.split('\n').filter((l) => /^pilot_(inbound_updates|k8s_reg_events)\{/.test(l));
      return Object.fromEntries(
        lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
      );
    };
    const expected = {
      'pilot_inbound_updates{type="EndpointSlice"}': 2,
      'pilot_inbound_updates{type="Pod"}': 1,
      'pilot_k8s_reg_events{type="EndpointSlice",event="update"}': 2,
      'pilot_k8s_reg_events{type="Pods",event="delete"}': 1,
    };
    expect(await values()).toEqual(expected);
    // A second read adds nothing; later changes add to the totals.
    expect(await values()).toEqual(expected);
    metrics.countRegistryChange('EndpointSlice', 'EndpointSlice', 'update');
    const single = await metrics.registryEvents.get();
    expect(single.values.find((v) => v.labels['type'] === 'EndpointSlice')?.value).toBe(3);
  });
});
