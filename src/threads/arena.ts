/**
 * ARENA, where a threads-tier queue keeps the bytes of its items that are not inline (./store.ts): blocks
 * are bump-allocated below Q_ARENA_TOP, 8-byte aligned. It starts again from the bottom when nothing is
 * live; a LIFO or a PriorityQueue takes back a freed block at its top (so a stack of items stays compact);
 * when the top reaches the end it either grows (to four times what is live) or compacts (moves the live blocks
 * down, oldest position first). A large ARENA drained of everything is replaced by a small one (`reset`),
 * since a growable buffer never shrinks. Which mutex guards which word is said in ./store.ts.
 */
import { Q_ARENA_ALLOC, Q_ARENA_CAP, Q_ARENA_FREED, Q_ARENA_TOP } from "./layout.ts";

/** A queue's growable buffers hold at most this many bytes. */
export const MAX_BYTES = 2 ** 31;
/** ARENA's size is kept in an Int32 (Q_ARENA_CAP): at most this many bytes, a multiple of 8. */
const MAX_ARENA = MAX_BYTES - 8;
export const FIRST_ARENA = 4096;
/**
 * An ARENA larger than this is replaced by a FIRST_ARENA one once nothing in it is live: a queue that once
 * held a flood gives the memory back after the drain.
 */
const SHRINK_ABOVE = 1 << 20;

export interface SharedArrayBufferGrowable extends SharedArrayBuffer {
  grow(bytes: number): void;
}

export function growable(bytes: number): SharedArrayBufferGrowable {
  const Ctor = SharedArrayBuffer as unknown as new (
    n: number,
    o: { maxByteLength: number },
  ) => SharedArrayBufferGrowable;
  return new Ctor(bytes, { maxByteLength: MAX_BYTES });
}

export const round8 = (n: number): number => (n + 7) & ~7;

/** A live block, for compaction: the word that holds its offset (an array and an index), its offset and size. */
export type Block = [Int32Array, number, number, number];

/** What an Arena asks of its store: the buffer, to tell the others of a growth, and the live blocks. */
export interface ArenaHost {
  readonly buffers: { arena: SharedArrayBuffer };
  viewsChanged(): void;
  blocks(into: Block[]): void;
}

export class Arena {
  /** Bytes in ARENA as this thread's views see it, and the views (made by `view`). */
  cap = 0;
  bytes!: Uint8Array;
  u16!: Uint16Array;
  i32!: Int32Array;

  /** `reclaims`: a LIFO or PRIORITY queue, which takes back a freed block at the top. */
  constructor(
    private readonly meta: Int32Array,
    private readonly reclaims: boolean,
    private readonly host: ArenaHost,
  ) {}

  view(buffer: SharedArrayBuffer, cap: number): void {
    this.cap = cap;
    this.bytes = new Uint8Array(buffer, 0, cap);
    this.u16 = new Uint16Array(buffer, 0, cap >> 1);
    this.i32 = new Int32Array(buffer, 0, cap >> 2);
  }

  /** Bytes that live entries hold (Q_ARENA_FREED is the get side's: read atomically). */
  live(): number {
    return ((this.meta[Q_ARENA_ALLOC] as number) - Atomics.load(this.meta, Q_ARENA_FREED)) | 0;
  }

  /**
   * PUT held: whether a block of `size` bytes fits above the top without growing or compacting (starting
   * again from the bottom if nothing is live). Nothing allocated yet.
   */
  fits(size: number): boolean {
    const m = this.meta;
    if (size === 0 || (m[Q_ARENA_TOP] as number) + size <= this.cap) return true;
    if (this.live() !== 0 || size > this.cap) return false;
    m[Q_ARENA_TOP] = 0;
    return true;
  }

  /** PUT held; both unless `fits(size)` said so. The offset of a new block of `size` bytes. */
  alloc(size: number): number {
    const m = this.meta;
    if ((m[Q_ARENA_TOP] as number) + size > this.cap) {
      const live = this.live();
      if (live === 0) m[Q_ARENA_TOP] = 0;
      const need = live + size;
      if (need > MAX_ARENA)
        throw new RangeError("threadkit/threads queue: the items queued would take more than 2 GiB");
      // Four times what is live, as far as the limit allows; then compaction. A compaction (both mutexes,
      // every live block moved) then comes after three times what it moves was allocated: with twice,
      // a bounded FIFO kept full compacted once per bound's worth of puts (Queue(100) of small objects
      // between two workers: 3,488 compactions in 500,000 puts; now 1,057).
      if (need * 4 > this.cap && this.cap < MAX_ARENA) {
        this.grow(Math.min(Math.max(this.cap * 2, need * 4), MAX_ARENA));
      }
      if ((m[Q_ARENA_TOP] as number) + size > this.cap) this.compact();
    }
    const at = m[Q_ARENA_TOP] as number;
    m[Q_ARENA_TOP] = at + size;
    m[Q_ARENA_ALLOC] = ((m[Q_ARENA_ALLOC] as number) + size) | 0;
    return at;
  }

  /**
   * GET held. The block is counted freed; a LIFO or PriorityQueue also takes back a block at the top:
   * Q_ARENA_TOP is the put side's, but every LIFO and PRIORITY put holds GET too, so GET alone keeps it
   * still there.
   */
  release(off: number, size: number): void {
    const m = this.meta;
    Atomics.store(m, Q_ARENA_FREED, ((m[Q_ARENA_FREED] as number) + size) | 0);
    if (this.reclaims && off + size === m[Q_ARENA_TOP]) m[Q_ARENA_TOP] = off;
  }

  /** Whether ARENA is large and nothing in it is live: then the store replaces it (`reset`). */
  drained(): boolean {
    return this.cap > SHRINK_ABOVE && this.live() === 0;
  }

  /** Both held: ARENA is now a new FIRST_ARENA buffer, empty (the store publishes it). */
  reset(): void {
    const m = this.meta;
    m[Q_ARENA_TOP] = 0;
    m[Q_ARENA_ALLOC] = 0;
    Atomics.store(m, Q_ARENA_FREED, 0);
    m[Q_ARENA_CAP] = FIRST_ARENA;
  }

  private grow(bytes: number): void {
    const next = round8(Math.min(bytes, MAX_ARENA)); // round8 works in 32 bits: clamped first
    (this.host.buffers.arena as SharedArrayBufferGrowable).grow(next);
    this.meta[Q_ARENA_CAP] = next;
    this.host.viewsChanged();
  }

  /**
   * Moves every live block down to the start of ARENA, in the order of their offsets (so none is
   * overwritten). Both held.
   */
  private compact(): void {
    const blocks: Block[] = [];
    this.host.blocks(blocks);
    blocks.sort((x, y) => x[2] - y[2]);
    let top = 0;
    for (const [e, base, off, size] of blocks) {
      if (off !== top) this.bytes.copyWithin(top, off, off + size);
      e[base] = top;
      top += size;
    }
    // Exact again, also after a thread died between an allocation and its commit.
    const m = this.meta;
    m[Q_ARENA_TOP] = top;
    m[Q_ARENA_ALLOC] = top;
    Atomics.store(m, Q_ARENA_FREED, 0);
  }
}
