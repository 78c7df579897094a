/**
 * FIFO: entries in a ring, the item put `c`-th at `c & (cap - 1)` (./order.ts). A ring entry says itself
 * whether its item has arrived (ENTRY_SEQ, stored last: the count of items put once it was), so that a get
 * reads only the entry's line, never Q_PUTS's, which the put side writes for every item.
 */
import { ENTRY, ENTRY_SEQ } from "./layout.ts";
import { Order } from "./order.ts";

export class Ring extends Order {
  constructor() {
    super(ENTRY);
  }

  tail(puts: number): number {
    return (puts & (this.cap - 1)) * ENTRY;
  }

  head(takes: number): number {
    return (takes & (this.cap - 1)) * ENTRY;
  }

  /** Counted before a get can see it, so that its taskDone never finds it missing: this store publishes both. */
  override arrived(base: number, puts: number): void {
    Atomics.store(this.e, base + ENTRY_SEQ, puts);
  }

  /** Whether the entry of the item taken `takes`-th (mod 2^32) is marked arrived. */
  has(takes: number): boolean {
    return Atomics.load(this.e, (takes & (this.cap - 1)) * ENTRY + ENTRY_SEQ) === ((takes + 1) | 0);
  }

  override grown(e: Int32Array, old: number, next: number, puts: number, takes: number): void {
    // The item put c-th moves from c & (old - 1) to c & (next - 1): half of them to the new half, which
    // is filled before the new capacity is published (see `Dying` in ./store.ts).
    for (let c = takes; c !== puts; c = (c + 1) | 0) {
      if ((c & old) !== 0)
        e.copyWithin((c & (next - 1)) * ENTRY, (c & (old - 1)) * ENTRY, ((c & (old - 1)) + 1) * ENTRY);
    }
    // Every other slot is marked free for the put that will fill it, so that no ENTRY_SEQ left there (0 in
    // the new half, a moved entry's in the old) can pass for that put's.
    for (let c = puts; c !== ((takes + next) | 0); c = (c + 1) | 0)
      e[(c & (next - 1)) * ENTRY + ENTRY_SEQ] = c;
  }

  override bases(puts: number, takes: number, _count: number, into: number[]): void {
    for (let c = takes; c !== puts; c = (c + 1) | 0) into.push((c & (this.cap - 1)) * ENTRY);
  }
}
