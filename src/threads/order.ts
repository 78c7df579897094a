/**
 * The order of a threads-tier queue's items in ENTRIES (./store.ts), as Python's queue.py subclasses
 * override `_put` and `_get`: a ring (./order-ring.ts, FIFO), a stack (./order-stack.ts, LIFO) or a stable
 * min-heap (./order-heap.ts, PRIORITY). The store keeps the counts, the mutexes, HANDS and ARENA; an order
 * says only where an entry goes, where the next one leaves from, and what moves when ENTRIES grows.
 *
 * The local tier's Ring and StableHeap (../internal/) are the same orders over JS arrays of items; these
 * are over shared Int32 words that every thread sees, written so that a thread killed mid-way leaves
 * something sensible (see `Dying` in ./store.ts): the same idea, not the same code, so not shared.
 */

export abstract class Order {
  /** Entries ENTRIES holds now (a power of 2), and views of them, made by `view`. */
  cap = 0;
  e!: Int32Array;
  f!: Float64Array;

  /** `words`: an entry's size. */
  constructor(readonly words: number) {}

  /** New views of ENTRIES, `cap` entries long (after this thread saw it grow). */
  view(buffer: SharedArrayBuffer, cap: number): void {
    this.cap = cap;
    this.e = new Int32Array(buffer, 0, cap * this.words);
    this.f = new Float64Array(buffer, 0, (cap * this.words) >> 1);
  }

  /** The base of the entry the next put fills: `puts` items ever put (mod 2^32), `count` queued. */
  abstract tail(puts: number, count: number): number;
  /** The entry at `base` (from `tail`) is written and not yet counted: it joins the order (a heap sifts it up). */
  joined(_base: number): void {}
  /** Counted (`puts`: the count of items put, with it): the entry at `base` is marked arrived (a ring). */
  arrived(_base: number, _puts: number): void {}
  /** The base of the entry the next take reads: `takes` ever taken, `count` queued (a heap moves it there). */
  abstract head(takes: number, count: number): number;
  /** The entry at `head` leaves (its take not yet counted; `count` queued with it). */
  leaving(_count: number): void {}
  /** After the take is counted: the rest is put in order again (a heap sifts its new root down). */
  left(_count: number): void {}
  /**
   * ENTRIES grew from `old` to `next` entries (both mutexes held; `e` views all of it): moves the queued
   * entries where they now belong, before the new size is published.
   */
  grown(_e: Int32Array, _old: number, _next: number, _puts: number, _takes: number): void {}
  /** The base of every queued entry, oldest put first for a ring, else bottom up (compaction). */
  bases(_puts: number, _takes: number, count: number, into: number[]): void {
    for (let i = 0; i < count; i++) into.push(i * this.words);
  }
}
