import { describe, expect, it } from 'vitest';
import { capacityEstimates, capacityMarkdown, REPLICA, TARGET } from './capacity.ts';
import type { ScenarioRow } from './scenarios/result.ts';

function row(id: string, values: Partial<ScenarioRow>): ScenarioRow {
  return {
    id,
    scenario: id[0] as ScenarioRow['scenario'],
    title: id,
    streams: 1_000,
    services: 1_000,
    metric: '',
    unit: '',
    meshpilot: null,
    baseline: null,
    ratio: null,
    target: '',
    pass: null,
    status: 'ok',
    ...values,
  };
}

const REGISTRY = { registryRssBytesPer1000Pods: 4 * 2 ** 20 };

describe('capacity on paper', () => {
  // 1,000 streams at 1,000 services: 100 KiB each, 10 s CPU for the full push, 0.5 s for 2 changes.
  const rows = [
    row('a/1000', { cpuSeconds: { meshpilot: 10 } }),
    row('b/1000', { cpuSeconds: { meshpilot: 0.5 }, details: { changes: 2 } }),
    row('d/1000', { meshpilot: 100 }),
  ];

  it('scales the measured per-stream inputs to 10,000 services and takes the smaller of the two limits', () => {
    const [e] = capacityEstimates(rows, REGISTRY);
    expect(e?.name).toBe('meshpilot');
    expect(e?.kibPerStream).toBe(1_000);
    expect(e?.cpuPerStreamFullPushS).toBeCloseTo(0.1);
    expect(e?.cpuPerStreamChangeS).toBeCloseTo(0.0025);
    expect(e?.registryMiB).toBe(400);
    // (16 GiB − 400 MiB) / 1,000 KiB and 1 core / 2.5 ms.
    expect(e?.streamsByMemory).toBe(Math.floor((REPLICA.memoryGiB * 2 ** 20 - 400 * 1024) / 1_000));
    expect(e?.streamsByPushCpu).toBe(400);
    expect(e?.firstLimit).toBe('push CPU');
    expect(e?.replicas).toBe(Math.ceil(TARGET.proxies / 400));
    expect(e?.fullPushS).toBeCloseTo(40);
  });

  it('estimates istiod from the real-API-server rows, on all of a replica’s cores', () => {
    const kube = [
      row('a/kube/1000', { cpuSeconds: { meshpilot: 10, istiod: 20 }, peers: { istiod: { value: 1, ratio: 1 } } }),
      row('b/kube/1000', { cpuSeconds: { meshpilot: 1, istiod: 0.2 }, details: { changes: 2 } }),
      row('d/kube/1000', { meshpilot: 100, peers: { istiod: { value: 800, ratio: 0.125 } } }),
    ];
    const istiod = capacityEstimates(kube, REGISTRY).find((e) => e.name === 'istiod');
    expect(istiod?.kibPerStream).toBe(8_000);
    expect(istiod?.streamsByPushCpu).toBe(Math.floor(REPLICA.cores / 0.001));
    expect(istiod?.streamsByMemory).toBe(Math.floor((REPLICA.memoryGiB * 2 ** 20 - 400 * 1024) / 8_000));
    expect(istiod?.firstLimit).toBe('memory per proxy');
  });

  it('says so when an input is missing instead of estimating', () => {
    expect(capacityEstimates(rows.slice(0, 2), REGISTRY)).toEqual([]);
    expect(capacityEstimates(rows, {})).toEqual([]);
    expect(capacityMarkdown(rows.slice(1), REGISTRY)).toContain('no estimate');
    expect(capacityMarkdown(rows, REGISTRY)).toContain('| meshpilot | `a/1000`, `b/1000`, `d/1000`');
  });
});
