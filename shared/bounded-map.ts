/**
 * A Map holding at most `capacity` entries, dropping the least recently written one when full.
 * In-isolate state keyed by caller identity lives as long as the isolate, so it must not grow
 * without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #capacity: number;

  constructor(capacity: number) {
    super();
    this.#capacity = capacity;
  }

  override set(key: K, value: V): this {
    // Re-inserting moves the key last, so the first key is always the least recently written.
    this.delete(key);
    if (this.size >= this.#capacity) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
