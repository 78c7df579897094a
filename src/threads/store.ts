/**
 * The shared storage of a threads-tier queue: every thread that holds the queue has a Store over the same
 * buffers (slots named in ./layout.ts).
 *
 * - ENTRIES holds the items in the queue's order: a ring (FIFO), a stack (LIFO) or a binary min-heap on
 *   (key, sequence number) (PRIORITY, stable). An entry is a few words: the codec's tag, an inline number,
 *   or where the item's bytes are in ARENA. Q_PUTS - Q_TAKES entries are queued; in the ring the entry of
 *   the item put `c`-th is at `c & (capacity - 1)`.
 * - HANDS holds entries outside that order, each owned by one waiter: a waiting putter's item (moved into
 *   ENTRIES when a slot frees) and an item handed straight to a waiting getter (it takes the bytes out).
 * - ARENA holds the bytes, bump-allocated. It starts again from the bottom when nothing is live, a LIFO
 *   or a PriorityQueue reclaims a freed block at its top, and when the top reaches the end it either
 *   compacts (moves the live blocks down, oldest position first) or grows.
 *
 * Two mutexes (mutex words of ./futex.ts), PUT before GET when both are taken, each held for a few dozen
 * instructions and never while waiting (in a LIFO or PRIORITY queue, which has no one-sided calls, the two
 * are one word):
 * - PUT guards what producers write: Q_PUTS, the ring's free slots, and ARENA above Q_ARENA_TOP
 *   (Q_ARENA_TOP, Q_ARENA_ALLOC). A FIFO put that finds room and no waiting getter holds it alone.
 * - GET guards what consumers write: Q_TAKES, Q_ARENA_FREED, and HANDS. A FIFO get that finds an item and
 *   no waiting putter holds it alone, and so does taking or dropping a HANDS entry.
 * So a producer and a consumer share no mutex and write no META line in common. A FIFO's ring entry says
 * itself whether its item has arrived (ENTRY_SEQ, stored last), so a get reads only the entry's line, and a
 * put reads Q_TAKES only when its cache of it says full. Everything else (waiting, hand-offs, shutdown,
 * growth, compaction, and every LIFO and PRIORITY put and get) holds both
 * (`lock()`), as one mutex: whoever holds both sees the whole queue still. Q_SHUTDOWN and the sizes change
 * only then, and the FIFOs' QUEUED bits are set only then (a waiter that leaves may clear its FIFO's at any
 * time, which only sends a put or get the long way), so either mutex alone keeps them from changing
 * (from being set). The bytes of a queued item move only then (compaction), so a consumer holding GET can
 * copy them. Marking items done takes no mutex: unfinished is Q_PUTS + Q_HANDED - Q_DONE, and taskDone
 * moves Q_DONE with a compareExchange (`markDone`).
 *
 * Unbounded means unbounded: the three buffers are growable SharedArrayBuffers (Node 20 has them), grown
 * under the mutexes; their size lives in META, so another thread sees a growth the next time it takes the
 * mutex and makes new views then. (Views of fixed length, because V8 11 runs length-tracking views of a
 * growable buffer ~15x slower.)
 */
import { decode, encoded, reserve, scratch, scratch32, TAG_NUMBER } from "./codec.ts";
import { lockWord, unlockWord } from "./futex.ts";
import {
  ENTRY,
  ENTRY_KEY,
  ENTRY_KEY_UNITS,
  ENTRY_LENGTH,
  ENTRY_NEXT,
  ENTRY_NUMBER,
  ENTRY_OFFSET,
  ENTRY_SEQ,
  ENTRY_TAG,
  FIFO,
  KEY_NUMBER,
  KEY_STRING,
  NONE,
  PRIORITY,
  PRIORITY_ENTRY,
  Q_ARENA_ALLOC,
  Q_ARENA_CAP,
  Q_ARENA_FREED,
  Q_ARENA_TOP,
  Q_CAPACITY,
  Q_DONE,
  Q_ENTRY_CAP,
  Q_GET_MUTEX,
  Q_GET_VIEWS,
  Q_HAND_CAP,
  Q_HAND_FREE,
  Q_HANDED,
  Q_KEY_KIND,
  Q_META_WORDS,
  Q_ORDER,
  Q_PUT_MUTEX,
  Q_PUT_VIEWS,
  Q_PUTS,
  Q_PUTS_BESIDE,
  Q_SEQ,
  Q_SHUTDOWN,
  Q_TAKES,
  Q_TAKES_BESIDE,
} from "./layout.ts";
import { sharedBuffer } from "./runtime.ts";

const MAX_BYTES = 2 ** 31;
/** ARENA's size is kept in an Int32 (Q_ARENA_CAP): at most this many bytes, a multiple of 8. */
const MAX_ARENA = MAX_BYTES - 8;
const FIRST_ENTRIES = 64;
const FIRST_HANDS = 16;
const FIRST_ARENA = 4096;
/** Items up to this many bytes are copied a word at a time (cheaper than a subarray and a set). */
const WORD_COPY_MAX = 256;

/** What a PriorityQueue's next put is ordered by (set by the queue before `push`/`hand`). */
export const key = { kind: 0, number: 0, string: "" };

/** What `take`/`takeHand` read: the entry's tag and inline number (the bytes are in the codec's scratch). */
const out = { tag: 0, number: 0, length: 0, off: 0, size: 0 };

interface SharedArrayBufferGrowable extends SharedArrayBuffer {
  grow(bytes: number): void;
}

function growable(bytes: number): SharedArrayBufferGrowable {
  const Ctor = SharedArrayBuffer as unknown as new (
    n: number,
    o: { maxByteLength: number },
  ) => SharedArrayBufferGrowable;
  return new Ctor(bytes, { maxByteLength: MAX_BYTES });
}

const round8 = (n: number): number => (n + 7) & ~7;

const WRAP = 2 ** 32;

/** The buffers a Store works on: what a queue's handle carries besides its FIFOs. */
export interface StoreBuffers {
  meta: SharedArrayBuffer;
  entries: SharedArrayBuffer;
  hands: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

/*
 * Dying: `terminate()` can stop a thread inside a mutex. The mutex is then taken over (./futex.ts `lockWord`),
 * so the queue must make sense as the dead thread left it. Each change is prepared first and committed last,
 * in a few adjacent stores: a push writes the item's bytes and entry, then counts it (Q_PUTS, which also
 * counts it unfinished), then (FIFO) marks its entry arrived (a thread that dies between the two leaves an
 * item counted but not marked, which gets take with both mutexes); a take copies the item out, then counts it
 * taken (Q_TAKES), then frees its bytes; growth fills the new space, then publishes the size. A thread that
 * dies before the commit leaves its operation undone (at worst some ARENA bytes orphaned, reclaimed by the
 * next compaction, which recounts the live count); after it, done. Not covered: a death inside a
 * PriorityQueue's reordering; between taking a waiting thread off its FIFO and granting it (that waiter then
 * waits for its timeout; a getter's item, already counted unfinished, then keeps every later join() waiting);
 * or inside a taskDone after its count and before it woke the joiners (those already waiting wait on; later
 * joins see the count).
 */

export class Store {
  readonly meta: Int32Array;
  readonly order: number;
  /** Words per entry. */
  private readonly ew: number;
  private entryCap = 0;
  private entries!: Int32Array;
  private entriesF64!: Float64Array;
  private handCap = 0;
  private hands!: Int32Array;
  private handsF64!: Float64Array;
  private arenaCap = 0;
  private arena!: Uint8Array;
  private arenaU16!: Uint16Array;
  private arena32!: Int32Array;
  private readonly tmp = new Int32Array(PRIORITY_ENTRY);
  /**
   * The count of items taken as this thread's puts last read it, in full (`takes()`): read again only when
   * it says full. A count only grows and never wraps in full, so however long this thread was idle, the
   * cache is behind, never ahead: it can only make the queue look fuller than it is. (Gets need no such
   * cache: an entry says itself whether it has arrived, `takeAlone()`.)
   */
  private takesSeen = 0;
  /**
   * The GET mutex word: Q_GET_MUTEX in a FIFO. A LIFO or PRIORITY queue has no one-sided puts or gets, so
   * its two mutexes are one word, Q_PUT_MUTEX: taking both costs what one did.
   */
  private readonly get: number;
  /** Where the counts of items put and taken are: lines of their own in a FIFO, else beside PUT. */
  private readonly putsAt: number;
  private readonly takesAt: number;
  /** Q_CAPACITY, which never changes. */
  readonly capacity: number;
  /** Q_SHUTDOWN as the last `refresh()` read it: exact while either mutex is held. */
  closed = false;
  /** Q_PUT_VIEWS, Q_GET_VIEWS as the last `refresh()` read them (-1: views not made yet). */
  private putViews = -1;
  private getViews = -1;

  /** A new, empty store of `order`, holding at most `capacity` items (0: unbounded). */
  static create(order: number, capacity: number): Store {
    const ew = order === PRIORITY ? PRIORITY_ENTRY : ENTRY;
    const meta = new Int32Array(sharedBuffer(Q_META_WORDS * 4));
    meta[Q_ORDER] = order;
    meta[Q_CAPACITY] = capacity;
    meta[Q_ENTRY_CAP] = FIRST_ENTRIES;
    meta[Q_HAND_CAP] = FIRST_HANDS;
    meta[Q_ARENA_CAP] = FIRST_ARENA;
    const hands = new Int32Array(growable(FIRST_HANDS * ew * 4));
    for (let h = 0; h < FIRST_HANDS; h++) hands[h * ew + ENTRY_NEXT] = h + 1 < FIRST_HANDS ? h + 1 : NONE;
    meta[Q_HAND_FREE] = 0;
    return new Store({
      meta: meta.buffer as SharedArrayBuffer,
      entries: growable(FIRST_ENTRIES * ew * 4),
      hands: hands.buffer as SharedArrayBuffer,
      arena: growable(FIRST_ARENA),
    });
  }

  /** Views are made when a mutex is first taken (attaching a handle waits for nobody). */
  constructor(readonly buffers: StoreBuffers) {
    for (const b of [buffers.entries, buffers.hands, buffers.arena]) {
      if (!(b instanceof SharedArrayBuffer) || !(b as { growable?: boolean }).growable) {
        throw new TypeError("not a threadkit/threads queue handle: missing its growable buffers");
      }
    }
    if (!(buffers.meta instanceof SharedArrayBuffer) || buffers.meta.byteLength !== Q_META_WORDS * 4) {
      throw new TypeError("not a threadkit/threads queue handle: missing its META buffer");
    }
    this.meta = new Int32Array(buffers.meta);
    this.order = Atomics.load(this.meta, Q_ORDER);
    this.ew = this.order === PRIORITY ? PRIORITY_ENTRY : ENTRY;
    this.get = this.order === FIFO ? Q_GET_MUTEX : Q_PUT_MUTEX;
    this.putsAt = this.order === FIFO ? Q_PUTS : Q_PUTS_BESIDE;
    this.takesAt = this.order === FIFO ? Q_TAKES : Q_TAKES_BESIDE;
    this.capacity = this.meta[Q_CAPACITY] as number;
  }

  // ---- the mutexes (see the top of this file) -----------------------------------------------------------

  /** PUT and GET: the whole queue holds still. */
  lock(): void {
    lockWord(this.meta, Q_PUT_MUTEX);
    if (this.get !== Q_PUT_MUTEX) lockWord(this.meta, this.get);
    this.refresh();
  }

  unlock(): void {
    if (this.get !== Q_PUT_MUTEX) unlockWord(this.meta, this.get);
    unlockWord(this.meta, Q_PUT_MUTEX);
  }

  /** PUT alone. */
  lockPut(): void {
    lockWord(this.meta, Q_PUT_MUTEX);
    if (this.meta[Q_PUT_VIEWS] !== this.putViews) this.refresh();
  }

  unlockPut(): void {
    unlockWord(this.meta, Q_PUT_MUTEX);
  }

  /** From PUT alone to both (GET comes after PUT, so this keeps the order). */
  widen(): void {
    if (this.get !== Q_PUT_MUTEX) lockWord(this.meta, this.get);
  }

  /** GET alone. */
  lockGet(): void {
    lockWord(this.meta, this.get);
    if (this.meta[Q_GET_VIEWS] !== this.getViews) this.refresh();
  }

  unlockGet(): void {
    unlockWord(this.meta, this.get);
  }

  /**
   * Both held: shuts the queue down (see `closed`). The views words tell each side to read it again, as
   * after a growth.
   */
  close(): void {
    this.meta[Q_SHUTDOWN] = 1;
    this.viewsChanged();
  }

  /** Both held, after a growth or shutdown: every thread's next lock makes new views (`refresh`). */
  private viewsChanged(): void {
    const m = this.meta;
    m[Q_PUT_VIEWS] = ((m[Q_PUT_VIEWS] as number) + 1) | 0;
    m[Q_GET_VIEWS] = ((m[Q_GET_VIEWS] as number) + 1) | 0;
    this.refresh();
  }

  /**
   * New views after another thread grew a buffer, and Q_SHUTDOWN again. Either mutex keeps what it reads
   * still: it changes only while both are held.
   */
  private refresh(): void {
    const m = this.meta;
    const b = this.buffers;
    this.putViews = m[Q_PUT_VIEWS] as number;
    this.getViews = m[Q_GET_VIEWS] as number;
    this.closed = m[Q_SHUTDOWN] !== 0;
    if (m[Q_ENTRY_CAP] !== this.entryCap) {
      this.entryCap = m[Q_ENTRY_CAP] as number;
      this.entries = new Int32Array(b.entries, 0, this.entryCap * this.ew);
      this.entriesF64 = new Float64Array(b.entries, 0, (this.entryCap * this.ew) >> 1);
    }
    if (m[Q_HAND_CAP] !== this.handCap) {
      this.handCap = m[Q_HAND_CAP] as number;
      this.hands = new Int32Array(b.hands, 0, this.handCap * this.ew);
      this.handsF64 = new Float64Array(b.hands, 0, (this.handCap * this.ew) >> 1);
    }
    if (m[Q_ARENA_CAP] !== this.arenaCap) {
      this.arenaCap = m[Q_ARENA_CAP] as number;
      this.arena = new Uint8Array(b.arena, 0, this.arenaCap);
      this.arenaU16 = new Uint16Array(b.arena, 0, this.arenaCap >> 1);
      this.arena32 = new Int32Array(b.arena, 0, this.arenaCap >> 2);
    }
  }

  // ---- the queue's order ---------------------------------------------------------------------------------

  /*
   * In a FIFO, Q_PUTS and Q_TAKES are written with Atomics.store by their own side's mutex holder, so that
   * the other side, reading them with Atomics.load, also sees the entry written (or read) before. Every
   * decision on the count is made again under the mutexes it needs.
   *
   * Each count wraps at 2^32, and the word after it counts its wraps: the two are the count in full (53
   * bits: centuries of items), which only its own side reads, under its mutex. The other side reads the low
   * word alone and recovers the full count from its own, since the two never differ by 2^32 or more (at
   * most ENTRIES' capacity are queued).
   */

  /** Items ever put, in full: exact while PUT is held. */
  private puts(): number {
    const m = this.meta;
    return (m[this.putsAt + 1] as number) * WRAP + ((m[this.putsAt] as number) >>> 0);
  }

  /** PUT held: reads Q_TAKES into the cache. Taken is at most put, and less by under 2^32. */
  private seeTakes(puts: number): void {
    const m = this.meta;
    this.takesSeen = puts - (((m[this.putsAt] as number) - Atomics.load(m, this.takesAt)) >>> 0);
  }

  /** Items queued, exact while both mutexes are held. */
  get count(): number {
    return ((this.meta[this.putsAt] as number) - (this.meta[this.takesAt] as number)) | 0;
  }

  /** Items queued now, read without a mutex (qsize, a spinning getter or putter): approximate. */
  size(): number {
    const taken = Atomics.load(this.meta, this.takesAt); // first, so that the difference is never negative
    const n = (Atomics.load(this.meta, this.putsAt) - taken) | 0;
    const capacity = this.capacity;
    return capacity > 0 && n > capacity ? capacity : n;
  }

  /**
   * PUT held (FIFO, open, no getter waiting): pushes the last encoded item with PUT alone, if the ring has
   * room (within the bound, without growing) and ARENA room for its bytes (without compacting or growing).
   * False if not, and nothing changed. One function for the path that moves nearly every item.
   */
  pushAlone(): boolean {
    const m = this.meta;
    const low = m[Q_PUTS] as number;
    const puts = (m[Q_PUTS + 1] as number) * WRAP + (low >>> 0);
    const capacity = this.capacity;
    const limit = capacity > 0 && capacity < this.entryCap ? capacity : this.entryCap;
    if (puts - this.takesSeen >= limit) {
      this.seeTakes(puts);
      if (puts - this.takesSeen >= limit) return false;
    }
    const size = round8(encoded.length);
    if (size > 0 && (m[Q_ARENA_TOP] as number) + size > this.arenaCap) {
      if (this.live() !== 0 || size > this.arenaCap) return false;
      m[Q_ARENA_TOP] = 0; // nothing is live: start again from the bottom
    }
    const base = (low & (this.entryCap - 1)) * ENTRY;
    this.write(this.entries, this.entriesF64, base);
    this.pushed(base);
    return true;
  }

  /** PUT held, after `pushAlone()`: whether the queue is at its bound. */
  full(): boolean {
    const capacity = this.capacity;
    return capacity > 0 && this.puts() - this.takesSeen >= capacity;
  }

  /**
   * GET held (FIFO, no putter waiting): takes the next item for decoding with GET alone (as `take`), if it
   * has arrived, which its entry's ENTRY_SEQ says alone: its line is read to take the item anyway, while
   * Q_PUTS's line, which the put side writes for every item, is left to it. False if not, and nothing
   * changed. An item counted but not marked arrived (its producer died between the two) is for `take`.
   */
  takeAlone(): boolean {
    const takes = this.meta[Q_TAKES] as number;
    if (!this.arrived(takes)) return false;
    this.read(this.entries, this.entriesF64, (takes & (this.entryCap - 1)) * ENTRY);
    this.taken(takes, 0); // the commit, then the bytes are freed
    this.freeRead();
    return true;
  }

  /**
   * No mutex (FIFO): whether the next item seems to have arrived, for a getter that watches. A hint (the
   * views may be stale): the answer is found again under the mutex.
   */
  arriving(): boolean {
    return this.arrived(Atomics.load(this.meta, Q_TAKES));
  }

  /** FIFO: whether the ring entry of the item taken `takes`-th (mod 2^32) is marked arrived. */
  private arrived(takes: number): boolean {
    const at = (takes & (this.entryCap - 1)) * ENTRY + ENTRY_SEQ;
    return Atomics.load(this.entries, at) === ((takes + 1) | 0);
  }

  /** Items put (into the order, or handed to a getter) and not yet marked done. No mutex needed. */
  unfinished(): number {
    const done = Atomics.load(this.meta, Q_DONE); // first: the counts of items put only grow
    return (this.everPut() - done) | 0;
  }

  /** Items ever put: into the order, or straight to a waiting getter (mod 2^32). */
  private everPut(): number {
    return (Atomics.load(this.meta, this.putsAt) + Atomics.load(this.meta, Q_HANDED)) | 0;
  }

  /**
   * Marks up to `n` unfinished items done, with no mutex (a compareExchange on Q_DONE); returns how many
   * are left unfinished, or -1 if none was.
   */
  markDone(n: number): number {
    const m = this.meta;
    for (;;) {
      const done = Atomics.load(m, Q_DONE);
      const left = (this.everPut() - done) | 0;
      if (left <= 0) return -1;
      const k = Math.min(n, left);
      if (Atomics.compareExchange(m, Q_DONE, done, (done + k) | 0) === done) return left - k;
    }
  }

  /** The kind of the keys queued now (PRIORITY), 0 while empty. */
  get keyKind(): number {
    return this.meta[Q_KEY_KIND] as number;
  }

  /** Puts the last encoded item (and `key`) into the queue's order. PUT held; both if it may grow. */
  push(): void {
    const base = this.slotForPush();
    this.write(this.entries, this.entriesF64, base);
    this.pushed(base);
  }

  /** Moves a HANDS entry (a putter's item) into the queue's order; its bytes stay where they are. Both held. */
  pushHand(h: number): void {
    const ew = this.ew;
    const base = this.slotForPush();
    this.entries.set(this.hands.subarray(h * ew, h * ew + ew), base);
    this.freeHand(h);
    this.pushed(base);
  }

  /** The kind of a HANDS entry's key (PRIORITY). */
  handKeyKind(h: number): number {
    return this.hands[h * this.ew + ENTRY_KEY_UNITS] === -1 ? KEY_NUMBER : KEY_STRING;
  }

  /**
   * Takes the next item out of the order and reads it (decode after `unlock`: see `decodeTaken`). Both held
   * (with GET alone, a FIFO takes through `takeAlone`), an item queued.
   */
  take(): void {
    const m = this.meta;
    const takes = m[this.takesAt] as number;
    // A FIFO take never reads Q_PUTS here: the put side writes its line for every item.
    const count = this.order === FIFO ? 0 : this.count;
    if (this.order === PRIORITY) this.swap(0, count - 1);
    const base = (this.order === FIFO ? takes & (this.entryCap - 1) : count - 1) * this.ew;
    this.read(this.entries, this.entriesF64, base);
    this.taken(takes, count); // the commit (see `Dying` above), then the bytes are freed
    this.freeRead();
    if (count > 1 && this.order === PRIORITY) this.siftDown(0, count - 1);
  }

  /** Commits a take: the item leaves the order in these stores. */
  private taken(takes: number, count: number): void {
    const m = this.meta;
    if (count === 1 && this.order === PRIORITY) m[Q_KEY_KIND] = 0;
    if (((takes + 1) | 0) === 0) m[this.takesAt + 1] = ((m[this.takesAt + 1] as number) + 1) | 0; // as in `pushed`
    if (this.order === FIFO)
      Atomics.store(m, this.takesAt, (takes + 1) | 0); // as in `pushed`
    else m[this.takesAt] = (takes + 1) | 0;
  }

  /** Drops every item in the order; returns how many. Both held. */
  clear(): number {
    const n = this.count;
    for (let i = 0; i < n; i++) this.take();
    return n;
  }

  private slotForPush(): number {
    const m = this.meta;
    if (this.order !== FIFO) {
      if (this.count === this.entryCap) this.growEntries();
      return this.count * this.ew;
    }
    // Through the cached count, so that a push never reads Q_TAKES, whose line the get side writes for
    // every item; when it says full, both are held: exact.
    const puts = this.puts();
    if (puts - this.takesSeen >= this.entryCap) {
      this.seeTakes(puts);
      if (puts - this.takesSeen === this.entryCap) this.growEntries();
    }
    return ((m[this.putsAt] as number) & (this.entryCap - 1)) * this.ew;
  }

  /** Commits a push: the item at `base` joins the order and counts as unfinished (see `Dying` above). */
  private pushed(base: number): void {
    const m = this.meta;
    if (this.order === PRIORITY) {
      const e = this.entries;
      e[base + ENTRY_SEQ] = m[Q_SEQ] as number;
      m[Q_SEQ] = ((m[Q_SEQ] as number) + 1) | 0;
      m[Q_KEY_KIND] = e[base + ENTRY_KEY_UNITS] === -1 ? KEY_NUMBER : KEY_STRING;
      this.siftUp(this.count);
    }
    const puts = ((m[this.putsAt] as number) + 1) | 0;
    // The wrap first: a thread that dies between the two leaves the count in full 2^32 too high, which
    // only sends every cache of it to read it again (never the other way, which would make it look ahead).
    if (puts === 0) m[this.putsAt + 1] = ((m[this.putsAt + 1] as number) + 1) | 0;
    if (this.order !== FIFO) {
      m[this.putsAt] = puts; // everyone reads it under the one mutex, whose unlock publishes it
      return;
    }
    // Counted (and so unfinished) before a get can see it, so that its taskDone never finds it missing:
    // the mark's Atomics.store publishes both to a get, which reads the mark with Atomics.load.
    m[this.putsAt] = puts;
    Atomics.store(this.entries, base + ENTRY_SEQ, puts);
  }

  /** Both held. */
  private growEntries(): void {
    const ew = this.ew;
    const old = this.entryCap;
    const next = old * 2;
    if (next * ew * 4 > MAX_BYTES) throw new RangeError("threadkit/threads queue: too many items");
    (this.buffers.entries as SharedArrayBufferGrowable).grow(next * ew * 4);
    if (this.order === FIFO) {
      // The item put c-th moves from c & (old - 1) to c & (next - 1): half of them to the new half, which
      // is filled before the new capacity is published (see `Dying` above).
      const e = new Int32Array(this.buffers.entries);
      const puts = this.meta[this.putsAt] as number;
      const takes = this.meta[this.takesAt] as number;
      for (let c = takes; c !== puts; c = (c + 1) | 0) {
        if ((c & old) !== 0)
          e.copyWithin((c & (next - 1)) * ew, (c & (old - 1)) * ew, ((c & (old - 1)) + 1) * ew);
      }
      // Every other slot is marked free for the put that will fill it, so that no ENTRY_SEQ left there (0 in
      // the new half, a moved entry's in the old) can pass for that put's.
      for (let c = puts; c !== ((takes + next) | 0); c = (c + 1) | 0)
        e[(c & (next - 1)) * ew + ENTRY_SEQ] = c;
    }
    this.meta[Q_ENTRY_CAP] = next;
    this.viewsChanged();
  }

  // ---- the heap (PRIORITY) ------------------------------------------------------------------------------

  private less(i: number, j: number): boolean {
    const e = this.entries;
    const a = i * PRIORITY_ENTRY;
    const b = j * PRIORITY_ENTRY;
    if (this.meta[Q_KEY_KIND] === KEY_NUMBER) {
      const f = this.entriesF64;
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
    const e = this.entries;
    const u = this.arenaU16;
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
    const e = this.entries;
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

  // ---- HANDS --------------------------------------------------------------------------------------------

  /** Puts the last encoded item into a free HANDS entry and returns its index. Both held. */
  hand(): number {
    let h = this.meta[Q_HAND_FREE] as number;
    if (h === NONE) h = this.growHands();
    const base = h * this.ew;
    this.meta[Q_HAND_FREE] = this.hands[base + ENTRY_NEXT] as number;
    this.write(this.hands, this.handsF64, base);
    return h;
  }

  /** Takes the item of a HANDS entry out (decode it after GET is let go: see `decodeTaken`). GET held. */
  takeHand(h: number): void {
    this.read(this.hands, this.handsF64, h * this.ew);
    this.freeHand(h);
    this.freeRead();
  }

  /**
   * Drops the item of a HANDS entry (a putter that gave up, or died), freeing its bytes without reading
   * them: a drop may come between another take and its decode (a dead putter skipped while a get refills).
   */
  dropHand(h: number): void {
    const base = h * this.ew;
    const size = this.blockSize(this.hands, base);
    if (size > 0) this.release(this.hands[base + ENTRY_OFFSET] as number, size);
    this.freeHand(h);
  }

  private freeHand(h: number): void {
    const base = h * this.ew;
    this.hands[base + ENTRY_TAG] = 0;
    this.hands[base + ENTRY_NEXT] = this.meta[Q_HAND_FREE] as number;
    this.meta[Q_HAND_FREE] = h;
  }

  private growHands(): number {
    const ew = this.ew;
    const old = this.handCap;
    const next = old * 2;
    if (next * ew * 4 > MAX_BYTES) throw new RangeError("threadkit/threads queue: too many waiting putters");
    (this.buffers.hands as SharedArrayBufferGrowable).grow(next * ew * 4);
    this.meta[Q_HAND_CAP] = next;
    this.viewsChanged();
    for (let h = old; h < next; h++) {
      this.hands[h * ew + ENTRY_TAG] = 0;
      this.hands[h * ew + ENTRY_NEXT] = h + 1 < next ? h + 1 : NONE;
    }
    return old;
  }

  // ---- entries and ARENA --------------------------------------------------------------------------------

  private write(e: Int32Array, f: Float64Array, base: number): void {
    const { tag, length } = encoded;
    const priority = this.order === PRIORITY;
    const units = priority && key.kind === KEY_STRING ? key.string.length : 0;
    if (length > 0 || units > 0) {
      const off = this.alloc(round8(length) + round8(units * 2));
      if (length <= WORD_COPY_MAX) {
        // Blocks are 8-byte aligned and rounded up, so whole words stay inside this block.
        const a = this.arena32;
        const w = off >> 2;
        const src = scratch32;
        for (let k = 0, n = (length + 3) >> 2; k < n; k++) a[w + k] = src[k] as number;
      } else {
        this.arena.set(scratch.subarray(0, length), off);
      }
      e[base + ENTRY_OFFSET] = off;
      if (units > 0) {
        const u = this.arenaU16;
        const p = (off + round8(length)) >> 1;
        const s = key.string;
        for (let k = 0; k < units; k++) u[p + k] = s.charCodeAt(k);
      }
    } else if (tag === TAG_NUMBER) {
      f[(base >> 1) + ENTRY_NUMBER] = encoded.number;
    }
    if (tag !== TAG_NUMBER) e[base + ENTRY_LENGTH] = length; // a number's Float64 fills that word
    if (priority) {
      e[base + ENTRY_KEY_UNITS] = key.kind === KEY_STRING ? units : -1;
      if (key.kind === KEY_NUMBER) f[(base >> 1) + ENTRY_KEY] = key.number;
    }
    e[base + ENTRY_TAG] = tag; // last: an entry with a tag is live (compaction looks at HANDS by it)
  }

  private read(e: Int32Array, f: Float64Array, base: number): void {
    const tag = e[base + ENTRY_TAG] as number;
    out.tag = tag;
    if (tag === TAG_NUMBER) {
      out.number = f[(base >> 1) + ENTRY_NUMBER] as number;
      out.length = 0;
      out.size = 0;
      return;
    }
    const length = e[base + ENTRY_LENGTH] as number;
    out.length = length;
    const size = this.blockSize(e, base);
    if (size > 0) {
      const off = e[base + ENTRY_OFFSET] as number;
      const into = reserve(length);
      if (length <= WORD_COPY_MAX) {
        const a = this.arena32;
        const w = off >> 2;
        const dst = scratch32;
        for (let k = 0, n = (length + 3) >> 2; k < n; k++) dst[k] = a[w + k] as number;
      } else {
        into.set(this.arena.subarray(off, off + length));
      }
      out.off = off;
    }
    out.size = size;
  }

  /** Frees the bytes of the item just read, once it has left the order or HANDS (the read copied them). */
  private freeRead(): void {
    if (out.size > 0) this.release(out.off, out.size);
  }

  private blockSize(e: Int32Array, base: number): number {
    const length = e[base + ENTRY_TAG] === TAG_NUMBER ? 0 : (e[base + ENTRY_LENGTH] as number);
    const units = this.order === PRIORITY ? (e[base + ENTRY_KEY_UNITS] as number) : 0;
    return round8(length) + (units > 0 ? round8(units * 2) : 0);
  }

  /** Bytes of ARENA that live entries hold (Q_ARENA_FREED is the get side's: read atomically). */
  private live(): number {
    return ((this.meta[Q_ARENA_ALLOC] as number) - Atomics.load(this.meta, Q_ARENA_FREED)) | 0;
  }

  /** PUT held; both unless `pushAlone()` found the block fits above the top. */
  private alloc(size: number): number {
    const m = this.meta;
    if ((m[Q_ARENA_TOP] as number) + size > this.arenaCap) {
      const live = this.live();
      if (live === 0) m[Q_ARENA_TOP] = 0;
      const need = live + size;
      if (need > MAX_ARENA)
        throw new RangeError("threadkit/threads queue: the items queued would take more than 2 GiB");
      // Twice what is live, so that compactions stay rare, as far as the limit allows; then compaction.
      if (need * 2 > this.arenaCap && this.arenaCap < MAX_ARENA) {
        this.growArena(Math.min(Math.max(this.arenaCap * 2, need * 2), MAX_ARENA));
      }
      if ((m[Q_ARENA_TOP] as number) + size > this.arenaCap) this.compact();
    }
    const at = m[Q_ARENA_TOP] as number;
    m[Q_ARENA_TOP] = at + size;
    m[Q_ARENA_ALLOC] = ((m[Q_ARENA_ALLOC] as number) + size) | 0;
    return at;
  }

  /**
   * GET held. The block is counted freed; a LIFO or PriorityQueue also takes back a block at the top, so
   * that a stack of items stays compact: Q_ARENA_TOP is the put side's, but every LIFO and PRIORITY put
   * holds GET too, so GET alone keeps it still there.
   */
  private release(off: number, size: number): void {
    const m = this.meta;
    Atomics.store(m, Q_ARENA_FREED, ((m[Q_ARENA_FREED] as number) + size) | 0);
    if (this.order !== FIFO && off + size === m[Q_ARENA_TOP]) m[Q_ARENA_TOP] = off;
  }

  private growArena(bytes: number): void {
    const next = round8(Math.min(bytes, MAX_ARENA)); // round8 works in 32 bits: clamped first
    (this.buffers.arena as SharedArrayBufferGrowable).grow(next);
    this.meta[Q_ARENA_CAP] = next;
    this.viewsChanged();
  }

  /**
   * Moves every live block down to the start of ARENA, in the order of their offsets (so none is
   * overwritten). Both held.
   */
  private compact(): void {
    const blocks: [Int32Array, number, number, number][] = [];
    const ew = this.ew;
    const m = this.meta;
    if (this.order === FIFO) {
      const puts = m[this.putsAt] as number;
      for (let c = m[this.takesAt] as number; c !== puts; c = (c + 1) | 0) {
        this.collectBlock(blocks, this.entries, (c & (this.entryCap - 1)) * ew);
      }
    } else {
      for (let i = 0, n = this.count; i < n; i++) this.collectBlock(blocks, this.entries, i * ew);
    }
    for (let h = 0; h < this.handCap; h++) {
      if (this.hands[h * ew + ENTRY_TAG] !== 0) this.collectBlock(blocks, this.hands, h * ew);
    }
    blocks.sort((x, y) => x[2] - y[2]);
    let top = 0;
    for (const [e, base, off, size] of blocks) {
      if (off !== top) this.arena.copyWithin(top, off, off + size);
      e[base + ENTRY_OFFSET] = top;
      top += size;
    }
    // Exact again, also after a thread died between an allocation and its commit.
    m[Q_ARENA_TOP] = top;
    m[Q_ARENA_ALLOC] = top;
    Atomics.store(m, Q_ARENA_FREED, 0);
  }

  private collectBlock(blocks: [Int32Array, number, number, number][], e: Int32Array, base: number): void {
    const size = this.blockSize(e, base);
    if (size > 0) blocks.push([e, base, e[base + ENTRY_OFFSET] as number, size]);
  }
}

/** Decodes what the last `take`/`takeHand` read (after `unlock`: decoding never runs under the mutex). */
export function decodeTaken(): unknown {
  return decode(out.tag, out.number, out.length);
}
