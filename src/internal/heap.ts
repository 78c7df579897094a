/**
 * A stable binary min-heap: equal items leave in the order they came (a sequence number breaks ties).
 * Every comparison happens before the first write, so a comparator that throws leaves the heap unchanged.
 */

interface Entry<T> {
  item: T;
  seq: number;
}

export class StableHeap<T> {
  private a: Entry<T>[] = [];
  private seq = 0;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.a.length;
  }

  push(item: T): void {
    const a = this.a;
    const entry = { item, seq: this.seq++ };
    let i = a.length;
    while (i > 0 && this.less(entry, a[(i - 1) >> 1]!)) i = (i - 1) >> 1;
    // Comparisons done: shift the ancestors on the path down by one and drop the entry in.
    let j = a.length;
    a.push(entry);
    while (j > i) {
      const p = (j - 1) >> 1;
      a[j] = a[p]!;
      j = p;
    }
    a[i] = entry;
  }

  /** Takes the least item (the oldest among equals). */
  take(): T {
    const a = this.a;
    const top = a[0]!;
    const n = a.length - 1;
    const last = a[n]!;
    // Find where `last` settles among the first n slots, without writing anything.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(a[c + 1]!, a[c]!)) c++;
      if (!this.less(a[c]!, last)) break;
      i = c;
    }
    // Move each node on the root..i path up one level, top-down, then place `last` at i.
    const k = i + 1;
    for (let d = Math.floor(Math.log2(k)) - 1; d >= 0; d--) a[(k >> (d + 1)) - 1] = a[(k >> d) - 1]!;
    a[i] = last;
    a.length = n;
    return top.item;
  }

  clear(): void {
    this.a = [];
  }

  private less(x: Entry<T>, y: Entry<T>): boolean {
    const c = this.compare(x.item, y.item);
    return c < 0 || (c === 0 && x.seq < y.seq);
  }
}

type Kind = "number" | "string" | "array" | "other";

function kind(v: unknown): Kind {
  const t = typeof v;
  if (t === "number" || t === "bigint") return "number";
  if (t === "string") return "string";
  return Array.isArray(v) ? "array" : "other";
}

/**
 * PriorityQueue's default order: numbers, strings, and arrays of them compared element by element, as
 * Python compares tuples. Inside an array, two values that have no order (objects, say) count as equal, so
 * `[priority, job]` entries work and equal priorities stay first-in first-out. Anything else is a TypeError.
 */
export function defaultCompare(a: unknown, b: unknown): number {
  const k = kind(a);
  if (k === "other" || kind(b) !== k) throw unordered(a, b);
  return compareKind(a, b, k);
}

function compareKind(a: unknown, b: unknown, k: Kind): number {
  if (k === "array") {
    const x = a as unknown[];
    const y = b as unknown[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const ki = kind(x[i]);
      if (kind(y[i]) !== ki) throw unordered(x[i], y[i]);
      if (ki === "other") continue;
      const c = compareKind(x[i], y[i], ki);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function unordered(a: unknown, b: unknown): TypeError {
  return new TypeError(
    `PriorityQueue cannot order ${describe(a)} and ${describe(b)}: use numbers, strings or arrays, or pass { compare }`,
  );
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}
