/**
 * The floors of the threads tier: what hand-written Atomics code costs for the same jobs (baselines
 * B6–B11). Each takes the Int32Array and slot it works on; none has timeouts, fairness, owner checks or
 * cancel, which is what makes them floors.
 */

/** How many times this thread's floors (futexLock, awaitValue) slept in Atomics.wait: a benchmark's count, free as it is about to sleep. */
export const futexSleeps = { count: 0 };

/** Drepper's futex mutex ("Futexes are tricky", mutex 2): 0 free, 1 locked, 2 locked with waiters. */
export function futexLock(a: Int32Array, i: number): void {
  let c = Atomics.compareExchange(a, i, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(a, i, 2);
  while (c !== 0) {
    futexSleeps.count++;
    Atomics.wait(a, i, 2);
    c = Atomics.exchange(a, i, 2);
  }
}

export function futexUnlock(a: Int32Array, i: number): void {
  if (Atomics.sub(a, i, 1) !== 1) {
    Atomics.store(a, i, 0);
    Atomics.notify(a, i, 1);
  }
}

/** The same mutex, spinning up to `spins` loads before it sleeps (baselines: 100 cut real sleeps 20–60x). */
export function spinFutexLock(a: Int32Array, i: number, spins = 100): void {
  for (let k = 0; k < spins; k++) {
    if (Atomics.load(a, i) === 0 && Atomics.compareExchange(a, i, 0, 1) === 0) return;
  }
  futexLock(a, i);
}

/** Waits until a[i] === value: spins `spins` loads, then sleeps on the word. */
export function awaitValue(a: Int32Array, i: number, value: number, spins: number): void {
  for (let k = 0; k < spins; k++) if (Atomics.load(a, i) === value) return;
  for (let v = Atomics.load(a, i); v !== value; v = Atomics.load(a, i)) {
    futexSleeps.count++;
    Atomics.wait(a, i, v);
  }
}

/**
 * One side of a ping-pong on the word a[i]: wait for my turn, pass the turn, wake the other side.
 * Side 0 serves first. `spins` 0 is the bare futex wait/notify of baselines B7.
 */
export function pingPong(a: Int32Array, i: number, me: 0 | 1, n: number, spins: number): void {
  for (let k = 0; k < n; k++) {
    awaitValue(a, i, me, spins);
    Atomics.store(a, i, 1 - me);
    Atomics.notify(a, i, 1);
  }
}

/**
 * A single-producer single-consumer ring of int32 (baselines B11, one item per publish), written as well
 * as such a ring is: the two indices 64 bytes apart (no false sharing), each side caching the other's
 * index and reading it again only when the cache says full (or empty), and a publish notifies only a side
 * that said it sleeps. Each side spins `spins` loads, then sleeps, when it must wait. Words: [HEAD, ...],
 * [TAIL, ...], [the producer sleeps, the consumer sleeps], data from RING_DATA.
 */
export const RING_HEAD = 0;
export const RING_TAIL = 16;
const RING_SLEEP = 32;
const RING_PUT_LOCK = 48;
const RING_GET_LOCK = 64;
export const RING_DATA = 80;
/** The rings' capacity, and how many words they take (an MPMC slot is two words: sequence, item). */
export const RING_CAP = 1024;
export const RING_WORDS = RING_DATA + 2 * RING_CAP;

/** One side's cache of the other side's index. */
export interface RingSide {
  seen: number;
}

/** Spins, then sleeps, until `a[index]` is no longer `value`; `me` is this side's sleep flag. */
function ringWait(a: Int32Array, index: number, value: number, me: number, spins: number): number {
  for (let k = 0; ; k++) {
    const now = Atomics.load(a, index);
    if (now !== value) return now;
    if (k >= spins) {
      Atomics.store(a, RING_SLEEP + me, 1);
      Atomics.wait(a, index, value);
      Atomics.store(a, RING_SLEEP + me, 0);
    }
  }
}

export function ringPush(a: Int32Array, cap: number, x: number, spins: number, side: RingSide): void {
  const tail = a[RING_TAIL] as number;
  if (tail - side.seen === cap) {
    side.seen = Atomics.load(a, RING_HEAD);
    if (tail - side.seen === cap) side.seen = ringWait(a, RING_HEAD, side.seen, 0, spins);
  }
  a[RING_DATA + (tail % cap)] = x;
  Atomics.store(a, RING_TAIL, tail + 1);
  if (Atomics.load(a, RING_SLEEP + 1) !== 0) Atomics.notify(a, RING_TAIL, 1);
}

export function ringPop(a: Int32Array, cap: number, spins: number, side: RingSide): number {
  const head = a[RING_HEAD] as number;
  if (side.seen === head) {
    side.seen = Atomics.load(a, RING_TAIL);
    if (side.seen === head) side.seen = ringWait(a, RING_TAIL, head, 1, spins);
  }
  const x = a[RING_DATA + (head % cap)] as number;
  Atomics.store(a, RING_HEAD, head + 1);
  if (Atomics.load(a, RING_SLEEP) !== 0) Atomics.notify(a, RING_HEAD, 1);
  return x;
}

/**
 * The same ring with each side's index under a futex mutex of its own (on a line of its own): the least a
 * queue pays that lets any number of threads put and get, as a mutex per side does (threadkit's FIFO). The
 * ring waits holding it, which is fine with one thread per side.
 */
export function ringPushLocked(a: Int32Array, cap: number, x: number, spins: number, side: RingSide): void {
  spinFutexLock(a, RING_PUT_LOCK);
  ringPush(a, cap, x, spins, side);
  futexUnlock(a, RING_PUT_LOCK);
}

export function ringPopLocked(a: Int32Array, cap: number, spins: number, side: RingSide): number {
  spinFutexLock(a, RING_GET_LOCK);
  const x = ringPop(a, cap, spins, side);
  futexUnlock(a, RING_GET_LOCK);
  return x;
}

/**
 * A bounded lock-free MPMC ring of int32 (Vyukov's): each slot has a sequence number, a side claims a
 * position with one compareExchange on its index (TAIL for producers, HEAD for consumers) once the slot's
 * sequence says it is its turn, then moves the item and publishes with one store of the sequence. What a
 * queue that lets many threads put and get could pay without a lock (and without an answer for a thread
 * that dies between its claim and its publish). A side that finds the ring full (empty) spins `spins`
 * times, then sleeps on the slot it waits for, and a publish notifies only a side that said it sleeps (as
 * in the SPSC ring: one producer and one consumer here).
 */
export function mpmcInit(a: Int32Array, cap: number): void {
  for (let i = 0; i < cap; i++) a[RING_DATA + 2 * i] = i;
}

export function mpmcPush(a: Int32Array, cap: number, x: number, spins: number): void {
  for (let k = 0; ; k++) {
    const pos = Atomics.load(a, RING_TAIL);
    const slot = RING_DATA + 2 * (pos & (cap - 1));
    const seq = Atomics.load(a, slot);
    if (seq === pos) {
      if (Atomics.compareExchange(a, RING_TAIL, pos, (pos + 1) | 0) !== pos) continue;
      a[slot + 1] = x;
      Atomics.store(a, slot, (pos + 1) | 0);
      if (Atomics.load(a, RING_SLEEP + 1) !== 0) Atomics.notify(a, slot, 1);
      return;
    }
    if (((seq - pos) | 0) < 0 && k >= spins) mpmcSleep(a, slot, seq, 0); // full
  }
}

export function mpmcPop(a: Int32Array, cap: number, spins: number): number {
  for (let k = 0; ; k++) {
    const pos = Atomics.load(a, RING_HEAD);
    const slot = RING_DATA + 2 * (pos & (cap - 1));
    const seq = Atomics.load(a, slot);
    if (seq === ((pos + 1) | 0)) {
      if (Atomics.compareExchange(a, RING_HEAD, pos, (pos + 1) | 0) !== pos) continue;
      const x = a[slot + 1] as number;
      Atomics.store(a, slot, (pos + cap) | 0);
      if (Atomics.load(a, RING_SLEEP) !== 0) Atomics.notify(a, slot, 1);
      return x;
    }
    if (((seq - pos - 1) | 0) < 0 && k >= spins) mpmcSleep(a, slot, seq, 1); // empty
  }
}

function mpmcSleep(a: Int32Array, slot: number, seq: number, me: number): void {
  Atomics.store(a, RING_SLEEP + me, 1);
  Atomics.wait(a, slot, seq);
  Atomics.store(a, RING_SLEEP + me, 0);
}

/** A cyclic barrier for `parties` threads on [count, generation]: spin, then sleep on the generation. */
export function barrierWait(a: Int32Array, i: number, parties: number, spins: number): void {
  const gen = Atomics.load(a, i + 1);
  if (Atomics.add(a, i, 1) === parties - 1) {
    Atomics.store(a, i, 0);
    Atomics.add(a, i + 1, 1);
    Atomics.notify(a, i + 1);
    return;
  }
  for (let k = 0; Atomics.load(a, i + 1) === gen; k++) if (k >= spins) Atomics.wait(a, i + 1, gen);
}
