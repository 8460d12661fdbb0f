import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { writeJsonArray, writeJsonObject, writeJsonWithArray, type ChunkSink } from './json-chunks.ts';

/** A response body in memory; `accept` says how many writes it takes before asking the writer to wait. */
class MemorySink extends EventEmitter implements ChunkSink {
  text = '';
  writes = 0;
  ended = false;
  destroyed = false;
  constructor(private readonly accept = Number.POSITIVE_INFINITY) {
    super();
  }
  write(text: string): boolean {
    this.text += text;
    this.writes += 1;
    return !this.writableNeedDrain;
  }
  get writableNeedDrain(): boolean {
    return this.writes >= this.accept;
  }
  end(text: string): void {
    this.text += text;
    this.ended = true;
  }
}

const items = Array.from({ length: 23 }, (_, i) => ({ name: `proxy-${i}`, types: { cds: { n: i } } }));

describe('chunked JSON answers', () => {
  it('writes the same JSON as one JSON.stringify, leaving out items that render to undefined', async () => {
    const sink = new MemorySink();
    await writeJsonArray(sink, items, (item) => (item.types.cds.n % 5 === 0 ? undefined : item), { chunkSize: 4 });
    expect(JSON.parse(sink.text)).toEqual(items.filter((item) => item.types.cds.n % 5 !== 0));
    const empty = new MemorySink();
    await writeJsonArray(empty, [], (item) => item, { chunkSize: 4 });
    expect(JSON.parse(empty.text)).toEqual([]);
    const object = new MemorySink();
    await writeJsonObject(
      object,
      items.map((item) => [item.name, item] as const),
      (item) => item.types,
      {
        chunkSize: 4,
      },
    );
    expect(JSON.parse(object.text)).toEqual(Object.fromEntries(items.map((item) => [item.name, item.types])));
    const nested = new MemorySink();
    await writeJsonWithArray(nested, { kubeClusters: ['a'], gateways: {} }, 'services', items, (item) => item, {
      chunkSize: 4,
    });
    expect(JSON.parse(nested.text)).toEqual({ kubeClusters: ['a'], gateways: {}, services: items });
    const nestedEmpty = new MemorySink();
    await writeJsonWithArray(nestedEmpty, { droppedInputs: [] }, 'services', [], (item) => item, { chunkSize: 4 });
    expect(JSON.parse(nestedEmpty.text)).toEqual({ droppedInputs: [], services: [] });
  });

  it('renders at most chunkSize items between two yields to the event loop', async () => {
    const rendersPerTurn: number[] = [0];
    const sink = new MemorySink();
    await writeJsonArray(
      sink,
      items,
      (item) => {
        rendersPerTurn[rendersPerTurn.length - 1]! += 1;
        return item;
      },
      {
        chunkSize: 5,
        pause: async () => {
          rendersPerTurn.push(0);
        },
      },
    );
    expect(rendersPerTurn).toEqual([5, 5, 5, 5, 3]);
    expect(JSON.parse(sink.text)).toHaveLength(items.length);
  });

  it('lets other work of the event loop run between chunks (real setImmediate)', async () => {
    const order: string[] = [];
    let other = 0;
    const tick = (): void => {
      other += 1;
      order.push(`other ${other}`);
      if (other < 10) setImmediate(tick);
    };
    setImmediate(tick);
    await writeJsonArray(
      new MemorySink(),
      items.slice(0, 12),
      (item) => {
        order.push('render');
        return item;
      },
      { chunkSize: 4 },
    );
    // Rendering starts at once (4 items), then each further chunk comes only after the other task ran.
    const firstOther = order.indexOf('other 1');
    expect(order.slice(0, 4)).toEqual(['render', 'render', 'render', 'render']);
    expect(firstOther).toBe(4);
    expect(order.filter((step) => step.startsWith('other')).length).toBeGreaterThanOrEqual(2);
    expect(order.lastIndexOf('render')).toBeGreaterThan(order.indexOf('other 2'));
  });

  it('waits for the socket to drain before the next chunk, and stops when the client is gone', async () => {
    const sink = new MemorySink(2); // the second write reports a full buffer
    let rendered = 0;
    const writing = writeJsonArray(
      sink,
      items,
      (item) => {
        rendered += 1;
        return item;
      },
      { chunkSize: 5 },
    );
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(rendered).toBe(5); // '[' and chunk 1 written; chunk 2 waits for 'drain'
    sink.destroyed = true;
    sink.emit('close');
    await writing;
    expect(rendered).toBe(5);
    expect(sink.ended).toBe(false);
  });
});
