import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reduceEndpointSlice, reducePod, reduceService } from './reduce.ts';

/** Anything JSON a (hostile or buggy) API server or manifest may hold where a port, address or label goes. */
const anyValue = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.double(),
  fc.string({ maxLength: 70 }),
  fc.ipV4(),
  fc.ipV6(),
  fc.constant(null),
  fc.boolean(),
);
const port = fc.record({
  name: fc.string({ maxLength: 10 }),
  port: anyValue,
  protocol: anyValue,
  targetPort: anyValue,
});
const labels = fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string({ maxLength: 80 }), anyValue));

describe('registry reducers over random objects (issue 13 point 8)', () => {
  it('never throw, and keep only valid ports, protocols, addresses and label values', () => {
    fc.assert(
      fc.property(
        fc.array(port, { maxLength: 5 }),
        fc.array(fc.record({ addresses: fc.array(anyValue, { maxLength: 4 }), conditions: fc.object() }), {
          maxLength: 5,
        }),
        labels,
        anyValue,
        (ports, endpoints, labelMap, podIP) => {
          const service = reduceService({ metadata: { name: 's', labels: labelMap }, spec: { ports } });
          for (const p of service.ports) {
            expect(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535).toBe(true);
            expect(['TCP', 'UDP', 'SCTP']).toContain(p.protocol);
          }
          for (const value of Object.values(service.labels)) expect(value.length).toBeLessThanOrEqual(63);
          const slice = reduceEndpointSlice({ metadata: { name: 'e' }, addressType: 'IPv4', ports, endpoints });
          for (const p of slice.ports) expect(p.port >= 1 && p.port <= 65535).toBe(true);
          for (const endpoint of slice.endpoints) for (const a of endpoint.addresses) expect(isIP(a)).toBe(4);
          const pod = reducePod({ metadata: { name: 'p', labels: labelMap }, status: { podIP } });
          if (pod.ip !== undefined) expect(isIP(pod.ip)).not.toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
