import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FixtureService } from '../../e2e/support/mesh-fixture.ts';
import { snapshotOf } from '../../e2e/support/snapshot-fixture.ts';
import { XdsHarness } from '../../e2e/support/xds-harness.ts';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../protos/type-urls.ts';
import { WriteBudget, type BudgetWaiter } from './write-budget.ts';

const A = 'outbound|5000||a.default.svc.cluster.local';
const range = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const serviceA = (ips: string[]): FixtureService => ({
  name: 'a',
  port: 5000,
  clusterIP: '10.96.0.1',
  endpoints: ips.map((ip) => ({ ip })),
});

describe('WriteBudget', () => {
  afterEach(() => vi.useRealTimers());

  it('has room until the bytes in flight reach the limit, and wakes waiters in order as writes complete', () => {
    const budget = new WriteBudget(100, 60_000);
    const woken: string[] = [];
    const waiter = (name: string): BudgetWaiter => ({ onBudget: () => woken.push(name) });
    const first = budget.charge(60);
    expect(budget.hasRoom()).toBe(true);
    const second = budget.charge(60);
    expect(budget.hasRoom()).toBe(false);
    const [w1, w2, w3] = [waiter('w1'), waiter('w2'), waiter('w3')];
    budget.wait(w1);
    budget.wait(w2);
    budget.wait(w3);
    budget.forget(w2);
    first();
    first(); // a second release of the same write gives nothing back
    expect(budget.bytesInFlight).toBe(60);
    expect(woken).toEqual(['w1', 'w3']);
    second();
    expect(budget.bytesInFlight).toBe(0);
    expect(budget.waiters).toBe(0);
  });

  it('stops waking once a woken stream filled it again', () => {
    const budget = new WriteBudget(100, 60_000);
    const release = budget.charge(100);
    const woken: string[] = [];
    const refill: BudgetWaiter = { onBudget: () => (woken.push('refill'), void budget.charge(100)) };
    budget.wait(refill);
    budget.wait({ onBudget: () => woken.push('next') });
    release();
    expect(woken).toEqual(['refill']);
    expect(budget.waiters).toBe(1);
  });

  it('gives back the bytes of a write that never completes (a stuck reader) after holdMs', () => {
    vi.useFakeTimers();
    const budget = new WriteBudget(10, 2_000);
    budget.charge(50);
    let woken = false;
    budget.wait({ onBudget: () => (woken = true) });
    vi.advanceTimersByTime(1_999);
    expect(woken).toBe(false);
    vi.advanceTimersByTime(1);
    expect(woken).toBe(true);
    expect(budget.bytesInFlight).toBe(0);
  });
});

describe('the write budget over real gRPC', () => {
  let harness: XdsHarness | undefined;
  afterEach(() => harness?.stop());

  it('with room for one response at a time, every stream still gets its full push and every change', async () => {
    harness = await XdsHarness.start({}, 1);
    const base = range('10.1', 200);
    harness.publish(snapshotOf([serviceA(base)]));
    const clients = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        // One response in flight at a time for the 8 streams: on a loaded machine a first push waits its turn.
        harness!.subscribe(
          `s${i}`,
          [
            [CLUSTER_TYPE, []],
            [ENDPOINT_TYPE, [A]],
          ],
          30_000,
        ),
      ),
    );
    for (const client of clients) expect(await client.responses.quiet(100)).toBe(true);
    harness.publish(snapshotOf([serviceA([...base.slice(1), '10.9.9.9'])]));
    for (const client of clients) {
      const pushed = await client.responses.next(10_000);
      expect(pushed.type_url).toBe(ENDPOINT_TYPE);
      expect(JSON.stringify(pushed.resources[0])).toContain('10.9.9.9');
    }
  }, 90_000);

  it('a reader that stopped reading does not stop the pushes to the other streams', async () => {
    harness = await XdsHarness.start({}, 1);
    const base = range('10.1', 400);
    harness.publish(snapshotOf([serviceA(base)]));
    const subscribe = (id: string) =>
      harness!.subscribe(id, [
        [CLUSTER_TYPE, []],
        [ENDPOINT_TYPE, [A]],
      ]);
    const stuck = await subscribe('stuck');
    const healthy = await subscribe('healthy');
    expect(await healthy.responses.quiet(100)).toBe(true);
    stuck.pause();
    const changes = 40;
    for (let i = 0; i < changes; i += 1) {
      harness.publish(snapshotOf([serviceA([...base.slice(1), `10.200.0.${i + 1}`])]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    let last = '';
    const deadline = Date.now() + 15_000;
    while (!last.includes(`10.200.0.${changes}"`) && Date.now() < deadline) {
      const response = await healthy.responses.next(10_000);
      last = JSON.stringify(response.resources);
      healthy.send({
        type_url: ENDPOINT_TYPE,
        version_info: response.version_info,
        response_nonce: response.nonce,
        resource_names: [A],
      });
    }
    expect(last).toContain(`10.200.0.${changes}"`);
  });
});
