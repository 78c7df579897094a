/**
 * The shared storage of a threads-tier queue: every thread that holds the queue has a Store over the same
 * buffers (slots named in ./layout.ts).
 *
 * - ENTRIES holds the items in the queue's order (./order.ts): a ring (FIFO), a stack (LIFO) or a binary
 *   min-heap on (key, sequence number) (PRIORITY, stable). An entry is a few words: the codec's tag, an
 *   inline number, or where the item's bytes are in ARENA. Q_PUTS - Q_TAKES entries are queued.
 * - HANDS holds entries outside that order, each owned by one waiter: a waiting putter's item (moved into
 *   ENTRIES when a slot frees) and an item handed straight to a waiting getter (it takes the bytes out).
 * - ARENA holds the bytes (./arena.ts: bump allocation, reclaiming, growth, compaction).
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
 * growable buffer ~15x slower.) A growable buffer never shrinks, so once a large ARENA is drained (nothing
 * live), the next get replaces it by a small new buffer, under both mutexes: the new buffer reaches the
 * other threads through ./exchange.ts (its ticket in META, Q_ARENA_GEN counting the replacements), and
 * each takes it at its next lock, as after a growth.
 */
import {
  Arena,
  type ArenaHost,
  type Block,
  FIRST_ARENA,
  growable,
  MAX_BYTES,
  round8,
  type SharedArrayBufferGrowable,
} from "./arena.ts";
import { decode, encoded, reserve, scratch, scratch32, TAG_NUMBER, TAG_SHARED } from "./codec.ts";
import { deposit, depositItem, dropItem, fetch } from "./exchange.ts";
import { lockWord, unlockWord } from "./futex.ts";
import {
  ENTRY,
  ENTRY_KEY,
  ENTRY_KEY_UNITS,
  ENTRY_LENGTH,
  ENTRY_NEXT,
  ENTRY_NUMBER,
  ENTRY_OFFSET,
  ENTRY_TAG,
  FIFO,
  KEY_NUMBER,
  KEY_STRING,
  LIFO,
  NONE,
  PRIORITY,
  PRIORITY_ENTRY,
  Q_ARENA_CAP,
  Q_ARENA_GEN,
  Q_ARENA_TICKET,
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
  Q_SHUTDOWN,
  Q_TAKES,
  Q_TAKES_BESIDE,
} from "./layout.ts";
import type { Order } from "./order.ts";
import { Heap } from "./order-heap.ts";
import { Ring } from "./order-ring.ts";
import { Stack } from "./order-stack.ts";
import { sharedBuffer } from "./runtime.ts";

const FIRST_ENTRIES = 64;
const FIRST_HANDS = 16;
/** Items up to this many bytes are copied a word at a time (cheaper than a subarray and a set). */
const WORD_COPY_MAX = 256;

/**
 * What a PriorityQueue's put is ordered by: a number (not NaN) or a string (`keyOf` in ./queue.ts). Other
 * orders are given 0 and ignore it.
 */
export type Key = number | string;

/**
 * What `take`/`takeHand` read, to decode once the mutex is let go (`decodeTaken`): the entry's tag and
 * inline number; the bytes are in the codec's scratch. Kept in a field rather than returned: a get that
 * returned a fresh record would allocate per item on the path that moves nearly every item, and the
 * bytes it describes sit in the codec's one scratch buffer anyway, valid until the next take or encode.
 */
interface Taken {
  tag: number;
  number: number;
  length: number;
  off: number;
  size: number;
}

const WRAP = 2 ** 32;

/** The buffers a Store works on: what a queue's handle carries besides its FIFOs. */
export interface StoreBuffers {
  meta: SharedArrayBuffer;
  entries: SharedArrayBuffer;
  hands: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  /** Q_ARENA_GEN of `arena` (-1: unknown; absent: 0, the first one). */
  arenaGen?: number;
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

export class Store implements ArenaHost {
  readonly meta: Int32Array;
  /** FIFO, LIFO or PRIORITY. */
  readonly order: number;
  /** The items' order in ENTRIES (its views too), and ARENA. */
  private readonly ord: Order;
  private readonly arena: Arena;
  /** Words per entry. */
  private readonly ew: number;
  private handCap = 0;
  private hands!: Int32Array;
  private handsF64!: Float64Array;
  /** What the last take read (see `Taken`). */
  private readonly out: Taken = { tag: 0, number: 0, length: 0, off: 0, size: 0 };
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
  /** Q_ARENA_GEN of `buffers.arena` (-1: unknown, for a handle made before a replacement was seen). */
  private arenaGen = 0;

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
    this.buffers = { ...buffers }; // ARENA may be replaced: by this Store's own copy
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
    this.arena = new Arena(this.meta, this.order !== FIFO, this);
    this.ord =
      this.order === FIFO ? new Ring() : this.order === LIFO ? new Stack() : new Heap(this.meta, this.arena);
    this.get = this.order === FIFO ? Q_GET_MUTEX : Q_PUT_MUTEX;
    this.putsAt = this.order === FIFO ? Q_PUTS : Q_PUTS_BESIDE;
    this.takesAt = this.order === FIFO ? Q_TAKES : Q_TAKES_BESIDE;
    this.capacity = this.meta[Q_CAPACITY] as number;
    // A handle made before the last replacement of ARENA: the current one is taken at the first lock.
    this.arenaGen = buffers.arenaGen ?? 0;
  }

  // ---- the mutexes (see the top of this file) -----------------------------------------------------------

  /** PUT and GET: the whole queue holds still. */
  lock(): void {
    for (;;) {
      lockWord(this.meta, Q_PUT_MUTEX);
      if (this.get !== Q_PUT_MUTEX) lockWord(this.meta, this.get);
      if (this.refresh()) return;
      this.unlock();
      this.awaitArena();
    }
  }

  unlock(): void {
    if (this.get !== Q_PUT_MUTEX) unlockWord(this.meta, this.get);
    unlockWord(this.meta, Q_PUT_MUTEX);
  }

  /** PUT alone. */
  lockPut(): void {
    for (;;) {
      lockWord(this.meta, Q_PUT_MUTEX);
      if (this.meta[Q_PUT_VIEWS] === this.putViews || this.refresh()) return;
      this.unlockPut();
      this.awaitArena();
    }
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
    for (;;) {
      lockWord(this.meta, this.get);
      if (this.meta[Q_GET_VIEWS] === this.getViews || this.refresh()) return;
      this.unlockGet();
      this.awaitArena();
    }
  }

  /**
   * No mutex held: waits until the ARENA buffer now in use has reached this thread (./exchange.ts asks the
   * others for it), so that no thread waits for it holding a mutex another needs to answer.
   */
  private awaitArena(): void {
    if (!(fetch(this.meta, Q_ARENA_TICKET) instanceof SharedArrayBuffer)) {
      throw new Error(
        "threadkit/threads queue: this thread could not get the queue's storage from the others",
      );
    }
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
  viewsChanged(): void {
    const m = this.meta;
    m[Q_PUT_VIEWS] = ((m[Q_PUT_VIEWS] as number) + 1) | 0;
    m[Q_GET_VIEWS] = ((m[Q_GET_VIEWS] as number) + 1) | 0;
    this.refresh();
  }

  /**
   * New views after another thread grew a buffer, and Q_SHUTDOWN again. Either mutex keeps what it reads
   * still: it changes only while both are held. False, and nothing read, if ARENA was replaced by a buffer
   * that has not reached this thread yet (the caller lets go and waits for it: `awaitArena`).
   */
  private refresh(): boolean {
    const m = this.meta;
    const b = this.buffers;
    if (m[Q_ARENA_GEN] !== this.arenaGen) {
      const arena = fetch(m, Q_ARENA_TICKET, false);
      if (!(arena instanceof SharedArrayBuffer)) return false;
      b.arena = arena;
      this.arenaGen = m[Q_ARENA_GEN] as number;
      b.arenaGen = this.arenaGen; // what a handle made from here carries
      this.arena.cap = -1; // new views below
    }
    this.putViews = m[Q_PUT_VIEWS] as number;
    this.getViews = m[Q_GET_VIEWS] as number;
    this.closed = m[Q_SHUTDOWN] !== 0;
    if (m[Q_ENTRY_CAP] !== this.ord.cap) this.ord.view(b.entries, m[Q_ENTRY_CAP] as number);
    if (m[Q_HAND_CAP] !== this.handCap) {
      this.handCap = m[Q_HAND_CAP] as number;
      this.hands = new Int32Array(b.hands, 0, this.handCap * this.ew);
      this.handsF64 = new Float64Array(b.hands, 0, (this.handCap * this.ew) >> 1);
    }
    if (m[Q_ARENA_CAP] !== this.arena.cap) this.arena.view(b.arena, m[Q_ARENA_CAP] as number);
    return true;
  }

  // ---- the counts ---------------------------------------------------------------------------------------

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

  // ---- one side alone (FIFO) ----------------------------------------------------------------------------

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
    const cap = this.ord.cap;
    const limit = capacity > 0 && capacity < cap ? capacity : cap;
    if (puts - this.takesSeen >= limit) {
      this.seeTakes(puts);
      if (puts - this.takesSeen >= limit) return false;
    }
    if (!this.arena.fits(round8(encoded.length))) return false;
    const base = this.ord.tail(low, 0);
    this.write(this.ord.e, this.ord.f, base, 0);
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
    const ring = this.ord as Ring;
    if (!ring.has(takes)) return false;
    this.read(ring.e, ring.f, ring.head(takes));
    this.taken(takes, 0); // the commit, then the bytes are freed
    this.freeRead();
    return true;
  }

  /**
   * No mutex (FIFO): whether the next item seems to have arrived, for a getter that watches. A hint (the
   * views may be stale): the answer is found again under the mutex.
   */
  arriving(): boolean {
    return (this.ord as Ring).has(Atomics.load(this.meta, Q_TAKES));
  }

  // ---- both held ----------------------------------------------------------------------------------------

  /**
   * Puts the last encoded item into the queue's order, ordered by `key` in a PriorityQueue. PUT held; both
   * if it may grow.
   */
  push(key: Key = 0): void {
    const base = this.slotForPush();
    this.write(this.ord.e, this.ord.f, base, key);
    this.pushed(base);
  }

  /** Moves a HANDS entry (a putter's item) into the queue's order; its bytes stay where they are. Both held. */
  pushHand(h: number): void {
    const ew = this.ew;
    const base = this.slotForPush();
    this.ord.e.set(this.hands.subarray(h * ew, h * ew + ew), base);
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
    const takes = this.meta[this.takesAt] as number;
    // A FIFO take never reads Q_PUTS here: the put side writes its line for every item.
    const count = this.order === FIFO ? 0 : this.count;
    const ord = this.ord;
    this.read(ord.e, ord.f, ord.head(takes, count));
    this.taken(takes, count); // the commit (see `Dying` above), then the bytes are freed
    this.freeRead();
    ord.left(count);
  }

  /** Decodes what the last `take`/`takeHand` read (after `unlock`: decoding never runs under the mutex). */
  decodeTaken(): unknown {
    const out = this.out;
    return decode(out.tag, out.number, out.length);
  }

  /** Commits a take: the item leaves the order in these stores. */
  private taken(takes: number, count: number): void {
    const m = this.meta;
    this.ord.leaving(count);
    if (((takes + 1) | 0) === 0) m[this.takesAt + 1] = ((m[this.takesAt + 1] as number) + 1) | 0; // as in `pushed`
    if (this.order === FIFO)
      Atomics.store(m, this.takesAt, (takes + 1) | 0); // as in `pushed`
    else m[this.takesAt] = (takes + 1) | 0;
  }

  /** Drops every item in the order; returns how many. Both held. */
  clear(): number {
    const n = this.count;
    for (let i = 0; i < n; i++) {
      this.take();
      if (this.out.tag === TAG_SHARED) dropItem(scratch32[0] as number); // dropped unread
    }
    return n;
  }

  private slotForPush(): number {
    const m = this.meta;
    const cap = this.ord.cap;
    if (this.order !== FIFO) {
      const count = this.count;
      if (count === cap) this.growEntries();
      return this.ord.tail(0, count);
    }
    // Through the cached count, so that a push never reads Q_TAKES, whose line the get side writes for
    // every item; when it says full, both are held: exact.
    const puts = this.puts();
    if (puts - this.takesSeen >= cap) {
      this.seeTakes(puts);
      if (puts - this.takesSeen === cap) this.growEntries();
    }
    return this.ord.tail(m[this.putsAt] as number, 0);
  }

  /** Commits a push: the item at `base` joins the order and counts as unfinished (see `Dying` above). */
  private pushed(base: number): void {
    const m = this.meta;
    const ord = this.ord;
    ord.joined(base);
    const puts = ((m[this.putsAt] as number) + 1) | 0;
    // The wrap first: a thread that dies between the two leaves the count in full 2^32 too high, which
    // only sends every cache of it to read it again (never the other way, which would make it look ahead).
    if (puts === 0) m[this.putsAt + 1] = ((m[this.putsAt + 1] as number) + 1) | 0;
    // In a LIFO or PRIORITY queue everyone reads the count under the one mutex, whose unlock publishes it;
    // in a FIFO, the mark's Atomics.store publishes both to a get, which reads the mark (./order-ring.ts).
    m[this.putsAt] = puts;
    ord.arrived(base, puts);
  }

  /** Both held. */
  private growEntries(): void {
    const ew = this.ew;
    const old = this.ord.cap;
    const next = old * 2;
    if (next * ew * 4 > MAX_BYTES) throw new RangeError("threadkit/threads queue: too many items");
    (this.buffers.entries as SharedArrayBufferGrowable).grow(next * ew * 4);
    const m = this.meta;
    const e = new Int32Array(this.buffers.entries);
    this.ord.grown(e, old, next, m[this.putsAt] as number, m[this.takesAt] as number);
    m[Q_ENTRY_CAP] = next;
    this.viewsChanged();
  }

  // ---- HANDS --------------------------------------------------------------------------------------------

  /** Puts the last encoded item (ordered by `key`) into a free HANDS entry and returns its index. Both held. */
  hand(key: Key = 0): number {
    let h = this.meta[Q_HAND_FREE] as number;
    if (h === NONE) h = this.growHands();
    const base = h * this.ew;
    this.meta[Q_HAND_FREE] = this.hands[base + ENTRY_NEXT] as number;
    this.write(this.hands, this.handsF64, base, key);
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
    if (this.hands[base + ENTRY_TAG] === TAG_SHARED)
      dropItem(this.arena.i32[(this.hands[base + ENTRY_OFFSET] as number) >> 2] as number);
    const size = this.blockSize(this.hands, base);
    if (size > 0) this.arena.release(this.hands[base + ENTRY_OFFSET] as number, size);
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

  // ---- entries and their bytes --------------------------------------------------------------------------

  private write(e: Int32Array, f: Float64Array, base: number, key: Key): void {
    const { tag, length } = encoded;
    const priority = this.order === PRIORITY;
    const units = priority && typeof key === "string" ? key.length : 0;
    if (length > 0 || units > 0) {
      const arena = this.arena;
      const off = arena.alloc(round8(length) + round8(units * 2));
      if (tag === TAG_SHARED) {
        // Posted now, at the commit (a put that fails earlier posts nothing): its bytes are the slot.
        scratch32[0] = depositItem(encoded.shared);
        encoded.shared = undefined;
      }
      if (length <= WORD_COPY_MAX) {
        // Blocks are 8-byte aligned and rounded up, so whole words stay inside this block.
        const a = arena.i32;
        const w = off >> 2;
        const src = scratch32;
        for (let k = 0, n = (length + 3) >> 2; k < n; k++) a[w + k] = src[k] as number;
      } else {
        arena.bytes.set(scratch.subarray(0, length), off);
      }
      e[base + ENTRY_OFFSET] = off;
      if (units > 0) {
        const u = arena.u16;
        const p = (off + round8(length)) >> 1;
        const s = key as string;
        for (let k = 0; k < units; k++) u[p + k] = s.charCodeAt(k);
      }
    } else if (tag === TAG_NUMBER) {
      f[(base >> 1) + ENTRY_NUMBER] = encoded.number;
    }
    if (tag !== TAG_NUMBER) e[base + ENTRY_LENGTH] = length; // a number's Float64 fills that word
    if (priority) {
      e[base + ENTRY_KEY_UNITS] = typeof key === "string" ? units : -1;
      if (typeof key === "number") f[(base >> 1) + ENTRY_KEY] = key;
    }
    e[base + ENTRY_TAG] = tag; // last: an entry with a tag is live (compaction looks at HANDS by it)
  }

  private read(e: Int32Array, f: Float64Array, base: number): void {
    const out = this.out;
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
        const a = this.arena.i32;
        const w = off >> 2;
        const dst = scratch32;
        for (let k = 0, n = (length + 3) >> 2; k < n; k++) dst[k] = a[w + k] as number;
      } else {
        into.set(this.arena.bytes.subarray(off, off + length));
      }
      out.off = off;
    }
    out.size = size;
  }

  /** Frees the bytes of the item just read, once it has left the order or HANDS (the read copied them). */
  private freeRead(): void {
    const out = this.out;
    if (out.size > 0) this.arena.release(out.off, out.size);
  }

  private blockSize(e: Int32Array, base: number): number {
    const length = e[base + ENTRY_TAG] === TAG_NUMBER ? 0 : (e[base + ENTRY_LENGTH] as number);
    const units = this.order === PRIORITY ? (e[base + ENTRY_KEY_UNITS] as number) : 0;
    return round8(length) + (units > 0 ? round8(units * 2) : 0);
  }

  /** The live blocks of ARENA, for its compaction: every queued entry's and every HANDS entry's. Both held. */
  blocks(into: Block[]): void {
    const ew = this.ew;
    const m = this.meta;
    const bases: number[] = [];
    this.ord.bases(m[this.putsAt] as number, m[this.takesAt] as number, this.count, bases);
    for (const base of bases) this.collectBlock(into, this.ord.e, base);
    for (let h = 0; h < this.handCap; h++) {
      if (this.hands[h * ew + ENTRY_TAG] !== 0) this.collectBlock(into, this.hands, h * ew);
    }
  }

  private collectBlock(into: Block[], e: Int32Array, base: number): void {
    const size = this.blockSize(e, base);
    if (size > 0) into.push([e, base + ENTRY_OFFSET, e[base + ENTRY_OFFSET] as number, size]);
  }

  /**
   * After a get, no mutex held: if ARENA is large and nothing in it is live, replaces it by a small new
   * buffer (see the top of this file). Costs one comparison unless ARENA is large.
   */
  shrink(): void {
    if (!this.arena.drained()) return;
    this.lock();
    try {
      if (!this.arena.drained()) return;
      const m = this.meta;
      const arena = growable(FIRST_ARENA);
      // Committed in this order: a thread that dies before the generation moves leaves the old buffer in use.
      deposit(arena, arena, m, Q_ARENA_TICKET);
      this.buffers.arena = arena;
      this.buffers.arenaGen = ((m[Q_ARENA_GEN] as number) + 1) | 0;
      this.arena.reset();
      m[Q_ARENA_GEN] = ((m[Q_ARENA_GEN] as number) + 1) | 0;
      this.arenaGen = m[Q_ARENA_GEN] as number;
      this.viewsChanged();
    } finally {
      this.unlock();
    }
  }
}
