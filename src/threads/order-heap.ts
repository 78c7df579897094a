/**
 * PRIORITY: entries in a binary min-heap on (key, sequence number), so equal keys leave in put order
 * (./order.ts). A key is a Float64 in the entry, or a string's UTF-16 units in ARENA after the item's bytes;
 * Q_KEY_KIND says which the queued keys are (one kind at a time).
 */
import type { Arena } from "./arena.ts";
import { round8 } from "./arena.ts";
import {
  ENTRY_KEY,
  ENTRY_KEY_UNITS,
  ENTRY_LENGTH,
  ENTRY_OFFSET,
  ENTRY_SEQ,
  KEY_NUMBER,
  KEY_STRING,
  PRIORITY_ENTRY,
  Q_KEY_KIND,
  Q_SEQ,
} from "./layout.ts";
import { Order } from "./order.ts";

export class Heap extends Order {
  private readonly tmp = new Int32Array(PRIORITY_ENTRY);

  constructor(
    private readonly meta: Int32Array,
    private readonly arena: Arena,
  ) {
    super(PRIORITY_ENTRY);
  }

  tail(_puts: number, count: number): number {
    return count * PRIORITY_ENTRY;
  }

  override joined(base: number): void {
    const m = this.meta;
    const e = this.e;
    e[base + ENTRY_SEQ] = m[Q_SEQ] as number;
    m[Q_SEQ] = ((m[Q_SEQ] as number) + 1) | 0;
    m[Q_KEY_KIND] = e[base + ENTRY_KEY_UNITS] === -1 ? KEY_NUMBER : KEY_STRING;
    this.siftUp(base / PRIORITY_ENTRY);
  }

  /** The least entry is swapped to the end, where the take reads it. */
  head(_takes: number, count: number): number {
    this.swap(0, count - 1);
    return (count - 1) * PRIORITY_ENTRY;
  }

  override leaving(count: number): void {
    if (count === 1) this.meta[Q_KEY_KIND] = 0;
  }

  override left(count: number): void {
    if (count > 1) this.siftDown(0, count - 1);
  }

  private less(i: number, j: number): boolean {
    const e = this.e;
    const a = i * PRIORITY_ENTRY;
    const b = j * PRIORITY_ENTRY;
    if (this.meta[Q_KEY_KIND] === KEY_NUMBER) {
      const f = this.f;
      const ka = f[(a >> 1) + ENTRY_KEY] as number;
      const kb = f[(b >> 1) + ENTRY_KEY] as number;
      if (ka !== kb) return ka < kb;
    } else {
      const c = this.compareStrings(a, b);
      if (c !== 0) return c < 0;
    }
    return (((e[a + ENTRY_SEQ] as number) - (e[b + ENTRY_SEQ] as number)) | 0) < 0;
  }

  private compareStrings(a: number, b: number): number {
    const e = this.e;
    const u = this.arena.u16;
    const na = e[a + ENTRY_KEY_UNITS] as number;
    const nb = e[b + ENTRY_KEY_UNITS] as number;
    const pa = ((e[a + ENTRY_OFFSET] as number) + round8(e[a + ENTRY_LENGTH] as number)) >> 1;
    const pb = ((e[b + ENTRY_OFFSET] as number) + round8(e[b + ENTRY_LENGTH] as number)) >> 1;
    const n = Math.min(na, nb);
    for (let k = 0; k < n; k++) {
      const d = (u[pa + k] as number) - (u[pb + k] as number);
      if (d !== 0) return d;
    }
    return na - nb;
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const e = this.e;
    const t = this.tmp;
    const a = i * PRIORITY_ENTRY;
    const b = j * PRIORITY_ENTRY;
    t.set(e.subarray(a, a + PRIORITY_ENTRY));
    e.copyWithin(a, b, b + PRIORITY_ENTRY);
    e.set(t, b);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number, n: number): void {
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) return;
      if (c + 1 < n && this.less(c + 1, c)) c++;
      if (!this.less(c, i)) return;
      this.swap(i, c);
      i = c;
    }
  }
}
