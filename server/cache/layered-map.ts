/**
 * A read-only map over two maps (a view's shared resources and one workload's own), so a proxy's
 * resources can be served without copying the shared part per pod. Keys of `own` win.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private readonly shared: ReadonlyMap<K, V>;
  private readonly own: ReadonlyMap<K, V>;

  constructor(shared: ReadonlyMap<K, V>, own: ReadonlyMap<K, V>) {
    this.shared = shared;
    this.own = own;
  }

  get size(): number {
    let size = this.own.size;
    for (const key of this.shared.keys()) if (!this.own.has(key)) size += 1;
    return size;
  }

  get(key: K): V | undefined {
    return this.own.get(key) ?? this.shared.get(key);
  }

  has(key: K): boolean {
    return this.own.has(key) || this.shared.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    for (const entry of this.shared) if (!this.own.has(entry[0])) yield entry;
    yield* this.own;
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
