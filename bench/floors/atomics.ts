/**
 * The floors of the threads tier: what hand-written Atomics code costs for the same jobs (baselines
 * B6–B11). Each takes the Int32Array and slot it works on; none has timeouts, fairness, owner checks or
 * cancel, which is what makes them floors.
 */

/** Drepper's futex mutex ("Futexes are tricky", mutex 2): 0 free, 1 locked, 2 locked with waiters. */
export function futexLock(a: Int32Array, i: number): void {
  let c = Atomics.compareExchange(a, i, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(a, i, 2);
  while (c !== 0) {
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
  for (let v = Atomics.load(a, i); v !== value; v = Atomics.load(a, i)) Atomics.wait(a, i, v);
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
 * A single-producer single-consumer ring of int32 (baselines B11, one item per publish): slots
 * [HEAD, TAIL, data...]. Each side spins `spins` loads, then sleeps, when it must wait.
 */
export const RING_HEAD = 0;
export const RING_TAIL = 1;
export const RING_DATA = 2;

export function ringPush(a: Int32Array, cap: number, x: number, spins: number): void {
  const tail = Atomics.load(a, RING_TAIL);
  if (tail - Atomics.load(a, RING_HEAD) === cap) {
    for (let h = Atomics.load(a, RING_HEAD), k = 0; tail - h === cap; h = Atomics.load(a, RING_HEAD), k++) {
      if (k >= spins) Atomics.wait(a, RING_HEAD, h);
    }
  }
  a[RING_DATA + (tail % cap)] = x;
  Atomics.store(a, RING_TAIL, tail + 1);
  Atomics.notify(a, RING_TAIL, 1);
}

export function ringPop(a: Int32Array, cap: number, spins: number): number {
  const head = Atomics.load(a, RING_HEAD);
  if (Atomics.load(a, RING_TAIL) === head) {
    for (let t = Atomics.load(a, RING_TAIL), k = 0; t === head; t = Atomics.load(a, RING_TAIL), k++) {
      if (k >= spins) Atomics.wait(a, RING_TAIL, t);
    }
  }
  const x = a[RING_DATA + (head % cap)]!;
  Atomics.store(a, RING_HEAD, head + 1);
  Atomics.notify(a, RING_HEAD, 1);
  return x;
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
