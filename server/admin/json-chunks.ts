/**
 * A JSON array written a few items per turn of the event loop, so a large admin answer (a thousand
 * proxies) never holds the loop that also serves ADS pushes: each chunk of at most `chunkSize` items
 * is rendered, written, and then the writer yields (setImmediate) and waits for the socket to drain.
 * Items are rendered when their chunk is written: an answer is not one instant's snapshot.
 */

/** The part of a ServerResponse the writer uses. */
export interface ChunkSink {
  write(text: string): boolean;
  end(text: string): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
  /** True while the buffered output is over the high-water mark (Node's writable.writableNeedDrain). */
  readonly writableNeedDrain: boolean;
}

export interface ChunkOptions {
  /** Items rendered and written per turn of the event loop. */
  readonly chunkSize: number;
  /** How the writer yields between chunks (tests observe it); default: the next setImmediate. */
  readonly pause?: () => Promise<void>;
}

export const DEFAULT_CHUNK_SIZE = 50;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits until `sink` takes more (drain) or is gone (close): at most one chunk is buffered ahead. */
function drained(sink: ChunkSink): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
  });
}

/** A value as it appears one level inside an array or object: pretty-printed like the other admin answers. */
function nested(value: unknown, depth = 1): string {
  return JSON.stringify(value, null, 2).replaceAll('\n', `\n${'  '.repeat(depth)}`);
}

export interface ChunkedJson<T> {
  /** Text before the first item, e.g. `[` or `{"services": [`. */
  readonly open: string;
  /** Text after the last item, e.g. `]`. */
  readonly close: string;
  /** One item's text (`undefined` leaves it out). */
  readonly item: (item: T) => string | undefined;
  /** Nesting depth of the items (1: items of the top-level array or object). */
  readonly depth?: number;
}

/** Writes `open`, the items' texts separated by commas, `close`, `chunkSize` items per turn of the loop. */
export async function writeChunked<T>(
  sink: ChunkSink,
  items: readonly T[],
  shape: ChunkedJson<T>,
  options: ChunkOptions,
): Promise<void> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize));
  const pause = options.pause ?? nextTurn;
  const indent = `\n${'  '.repeat(shape.depth ?? 1)}`;
  let first = true;
  sink.write(shape.open);
  for (let start = 0; start < items.length; start += chunkSize) {
    if (start > 0) {
      await pause();
      // Asked after the pause: a 'drain' emitted during it would be missed by a listener added now.
      if (sink.writableNeedDrain && !sink.destroyed) await drained(sink);
      if (sink.destroyed) return;
    }
    const parts: string[] = [];
    for (const item of items.slice(start, start + chunkSize)) {
      const text = shape.item(item);
      if (text === undefined) continue;
      parts.push(`${first ? '' : ','}${indent}${text}`);
      first = false;
    }
    if (parts.length > 0) sink.write(parts.join(''));
  }
  const closeIndent = first ? '' : `\n${'  '.repeat((shape.depth ?? 1) - 1)}`;
  sink.end(`${closeIndent}${shape.close}\n`);
}

/** `[render(item) for item of items]`, items rendering to undefined left out, written in chunks. */
export function writeJsonArray<T>(
  sink: ChunkSink,
  items: readonly T[],
  render: (item: T) => unknown,
  options: ChunkOptions,
): Promise<void> {
  return writeChunked(
    sink,
    items,
    {
      open: '[',
      close: ']',
      item: (item) => {
        const value = render(item);
        return value === undefined ? undefined : nested(value);
      },
    },
    options,
  );
}

/** `{key: render(value) for [key, value] of entries}`, written in chunks. */
export function writeJsonObject<T>(
  sink: ChunkSink,
  entries: readonly (readonly [string, T])[],
  render: (value: T) => unknown,
  options: ChunkOptions,
): Promise<void> {
  return writeChunked(
    sink,
    entries,
    { open: '{', close: '}', item: ([key, value]) => `${JSON.stringify(key)}: ${nested(render(value))}` },
    options,
  );
}

/** `{...fields, [key]: [items]}`: a small head written at once, then a large array in chunks. */
export function writeJsonWithArray<T>(
  sink: ChunkSink,
  fields: Readonly<Record<string, unknown>>,
  key: string,
  items: readonly T[],
  render: (item: T) => unknown,
  options: ChunkOptions,
): Promise<void> {
  const head = Object.entries(fields)
    .map(([name, value]) => `\n  ${JSON.stringify(name)}: ${nested(value)},`)
    .join('');
  return writeChunked(
    sink,
    items,
    {
      open: `{${head}\n  ${JSON.stringify(key)}: [`,
      close: ']\n}',
      depth: 2,
      item: (item) => nested(render(item), 2),
    },
    options,
  );
}
