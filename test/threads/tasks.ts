/**
 * What test workers run: each export takes live primitives (and plain values or shared typed arrays) and
 * returns a structured-cloneable result. Progress that the test must see is published through shared words
 * or primitives, never through timing.
 */
import type { Condition } from "../../src/threads/condition.ts";
import type { Event } from "../../src/threads/event.ts";
import { FREE, GUARD, HEAD, HEADER, NONE, STATE, VALUE_MASK, WAITING } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { ME } from "../../src/threads/runtime.ts";
import type { Semaphore } from "../../src/threads/semaphore.ts";

type Mode = "sync" | "async";

/**
 * `rounds` lock-protected increments of `counter[0]` with plain (non-atomic) reads and writes: without
 * mutual exclusion two threads lose updates. With an RLock each round re-enters once.
 */
export async function increments(lock: Lock | RLock, counter: Int32Array, rounds: number, mode: Mode) {
  const nested = lock instanceof RLock;
  for (let i = 0; i < rounds; i++) {
    if (mode === "sync") lock.acquireSync();
    else await lock.acquire();
    if (nested) lock.acquireSync();
    counter[0] = (counter[0] as number) + 1;
    if (nested) lock.release();
    lock.release();
  }
  return rounds;
}

/** Acquires (blocking or not), appends `id` to the shared `log` (log[0] is its length), releases. */
export async function acquireAndLog(lock: Lock | Semaphore, log: Int32Array, id: number, mode: Mode) {
  const ok = mode === "sync" ? lock.acquireSync() : await lock.acquire();
  if (!ok) return false;
  log[1 + Atomics.add(log, 0, 1)] = id;
  lock.release();
  return true;
}

/** acquireSync with a timeout; returns the result and how long it blocked. */
export function acquireSyncFor(lock: Lock | RLock | Semaphore, timeout: number) {
  const started = performance.now();
  const ok = lock.acquireSync({ timeout });
  return { ok, waited: performance.now() - started };
}

/** Tries to release a lock it does not hold; returns the error it got. */
export function releaseForeign(lock: Lock | RLock) {
  try {
    lock.release();
    return null;
  } catch (e) {
    const error = e as { name: string; code?: string; message: string };
    return { name: error.name, code: error.code, message: error.message };
  }
}

/** Takes a permit `rounds` times, counting how many holders are inside at once; returns the most seen. */
export async function permitRounds(sem: Semaphore, inside: Int32Array, rounds: number, mode: Mode) {
  let most = 0;
  for (let i = 0; i < rounds; i++) {
    if (mode === "sync") sem.acquireSync();
    else await sem.acquire();
    const n = Atomics.add(inside, 0, 1) + 1;
    if (n > most) most = n;
    for (let k = 0; k < 50; k++) Atomics.load(inside, 0); // stay inside a little
    Atomics.sub(inside, 0, 1);
    sem.release();
  }
  return most;
}

/** Waits for `event` (blocking or not) with `timeout`; returns the result. */
export function setEvent(event: Event): boolean {
  event.set();
  return event.isSet();
}

export async function waitEvent(event: Event, mode: Mode, timeout?: number) {
  const opts = timeout === undefined ? undefined : { timeout };
  return mode === "sync" ? event.waitSync(opts) : await event.wait(opts);
}

/** Acquires `lock`, sets `held`, keeps the lock until `letGo` is set, releases. */
export async function holdUntil(lock: Lock | RLock, held: Event, letGo: Event, mode: Mode) {
  if (mode === "sync") lock.acquireSync();
  else await lock.acquire();
  held.set();
  if (mode === "sync") letGo.waitSync();
  else await letGo.wait();
  lock.release();
}

/** Acquires (blocking or not), appends `id` to the shared `log`, and keeps what it acquired. */
export async function acquireAndKeep(sem: Lock | Semaphore, log: Int32Array, id: number, mode: Mode) {
  const ok = mode === "sync" ? sem.acquireSync() : await sem.acquire();
  if (ok) log[1 + Atomics.add(log, 0, 1)] = id;
  return ok;
}

/** Acquires an RLock `depth` times, then releases it that many times; returns whether each step held. */
export function rlockDepth(lock: RLock, depth: number) {
  for (let i = 0; i < depth; i++) if (!lock.acquireSync()) return false;
  for (let i = 0; i < depth; i++) lock.release();
  return !lock.locked();
}

/**
 * Takes the Condition's lock `depth` times, waits (blocking or not, with `timeout`), then counts the levels
 * it holds by releasing them: an RLock until a release fails (only its owner may release it). Any thread may
 * release a plain Lock, so a second release would let go of the lock of whoever it was handed to next: it
 * counts 1 only if the lock names this thread as its holder, and releases it once.
 */
export async function condWait(cond: Condition, mode: Mode, depth = 1, timeout?: number) {
  for (let i = 0; i < depth; i++) cond.acquireSync();
  const opts = timeout === undefined ? undefined : { timeout };
  const notified = mode === "sync" ? cond.waitSync(opts) : await cond.wait(opts);
  if (cond._lock instanceof Lock) {
    const held = (Atomics.load(cond._lock._core.i32, STATE) & VALUE_MASK) === ME;
    if (held) cond.release();
    return { notified, levels: held ? 1 : 0 };
  }
  let levels = 0;
  try {
    for (; levels < 100; levels++) cond.release();
  } catch {}
  return { notified, levels };
}

/**
 * As `condWait`, once the test says go: counts itself ready in `gate[0]`, blocks until `gate[1]` is set, then
 * takes the lock and waits. So a wait's timeout starts when the test chooses, not when the worker is up.
 */
export async function condWaitOnGo(
  cond: Condition,
  mode: Mode,
  depth: number,
  timeout: number,
  gate: Int32Array,
) {
  Atomics.add(gate, 0, 1);
  Atomics.wait(gate, 1, 0);
  return condWait(cond, mode, depth, timeout);
}

/** Ping-pong over a Condition: `rounds` turns where `turn[0]` says whose turn it is (0 or 1). */
export async function pingPong(cond: Condition, turn: Int32Array, rounds: number, me: number, mode: Mode) {
  for (let i = 0; i < rounds; i++) {
    if (mode === "sync") {
      cond.acquireSync();
      cond.waitForSync(() => Atomics.load(turn, 0) === me);
    } else {
      await cond.acquire();
      await cond.waitFor(() => Atomics.load(turn, 0) === me);
    }
    Atomics.store(turn, 0, 1 - me);
    cond.notify();
    cond.release();
  }
  return rounds;
}

/** As `increments`, on a Lock rebuilt from a raw buffer (tests that shrink the cell table). */
export async function incrementsOnBuffer(buffer: SharedArrayBuffer, counter: Int32Array, rounds: number) {
  return increments(Lock._attach(buffer), counter, rounds, "sync");
}

/** Takes the lock, blocking, and lets it go: true once it held it. */
export function acquireSyncOnce(lock: Lock): boolean {
  const held = lock.acquireSync();
  lock.release();
  return held;
}

/**
 * With each primitive's GUARD word forced to "held", runs their uncontended paths: any of them that touched
 * the waiter FIFO would block here for good (the test's deadline then fails it).
 */
export async function uncontendedWithoutGuard(lock: Lock, rlock: RLock, sem: Semaphore, event: Event) {
  // A Semaphore's take and release hold GUARD (its journal: see ./semaphore.ts) but never queue: a FIFO
  // that another thread seems to be changing (HEAD set, a cell WAITING) is left alone.
  const all = [lock, rlock, event];
  for (const p of all) Atomics.store(p._core.i32, GUARD, 1);
  const semWords = sem._core.i32;
  Atomics.store(semWords, HEAD, HEADER);
  Atomics.store(semWords, HEADER, WAITING);
  for (let i = 0; i < 1000; i++) {
    lock.acquireSync();
    lock.release();
    await lock.acquire();
    lock.release();
    rlock.acquireSync();
    rlock.acquireSync();
    rlock.release();
    rlock.release();
    sem.acquireSync();
    sem.release();
    event.set();
    event.waitSync();
    event.clear();
  }
  for (const p of all) Atomics.store(p._core.i32, GUARD, 0);
  const untouched = Atomics.load(semWords, HEAD) === HEADER && Atomics.load(semWords, HEADER) === WAITING;
  Atomics.store(semWords, HEAD, NONE);
  Atomics.store(semWords, HEADER, FREE);
  return untouched && sem.value === 1 && Atomics.load(semWords, GUARD) === 0;
}
