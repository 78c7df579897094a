/**
 * CORE of the local tier: a FIFO queue of waiting tasks. Every primitive of this tier is a thin shell on it;
 * none keeps a waiter list of its own.
 *
 * Invariants:
 * - A waiter is in the queue exactly while its promise is unsettled. Whatever settles it (wake, timeout,
 *   abort, fail) first unlinks it, clears its timer and drops its abort listener, all in one synchronous
 *   step. On one event loop nothing can interleave with that step, so a waiter is settled exactly once:
 *   a timeout or abort that comes after a wake finds nothing to do and the waiter keeps what it was given,
 *   and a wake that comes after a timeout or abort goes to the next waiter. No grant is lost or doubled.
 * - `wake(value)` hands `value` (a permit, an item, an index) to the longest waiter before its continuation
 *   runs, so a newcomer cannot barge in between: the primitive's state already says "granted".
 * - Leaving on timeout or abort is O(1) (intrusive list) and leaves no ghost behind.
 * - A waiter is kept small, as a Semaphore's or a Lock's hand-off pays for every byte of it: a node of four
 *   fields (its links, its promise's resolve, and `extra`), and its promise. Everything else a waiter may
 *   have (a payload, a timeout, a signal, a reject function) is in one more object, its `Extra`, made only
 *   for a waiter that has any of them. (A 7-field node measured 0.85x the floor semaphore's hand-off, a
 *   4-field one 0.98x, in one process, interleaved.) And a waiter that nothing can reject (no signal, in a
 *   queue that never fails its waiters) does not take its promise's reject function: when the executor
 *   leaves `reject` unused, V8 does not make it.
 */

import type { CallMessage, ResourceKind } from "../internal/channels.ts";
import { arm, disarm, now, type Timed } from "../internal/deadline.ts";
import { detection } from "../internal/deadlock.ts";
import { LinkedList, type ListNode } from "../internal/list.ts";
import { currentCall, handoff, leftEarly, probe, queued } from "../internal/probe.ts";
import { watched } from "./waits.ts";

export class Waiter<T> implements ListNode {
  prev: this | null = null;
  next: this | null = null;

  constructor(
    readonly resolve: (value: T | PromiseLike<T>) => void,
    /** What else it has, if anything: a payload, a way to leave early, a reject function. */
    readonly extra: Extra<T> | undefined,
  ) {}

  /**
   * Settles the waiter's promise rejected with `reason`. Without its reject function (which only a misuse
   * of the queue's `rejects` would need) through resolve, with a rejected promise that it adopts (so that
   * promise is handled): a few microtasks later.
   */
  reject(reason: unknown): void {
    const rejectFn = this.extra?.rejectFn;
    if (rejectFn !== undefined) rejectFn(reason);
    else this.resolve(Promise.reject(reason));
  }
}

/**
 * What a waiter has besides its links and resolve, when it has any: what it brings along (a putter's item,
 * a Condition waiter's saved lock state), its reject function, and how it leaves early (the timer's
 * argument and the abort listener).
 */
class Extra<T> implements Timed {
  deadline = Number.POSITIVE_INFINITY;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  waiter!: Waiter<T>;
  /** The traced call that waits, while the probe is on (a traced waiter always has an Extra). */
  call: CallMessage | undefined = undefined;

  constructor(
    readonly queue: WaiterQueue<T>,
    readonly payload: unknown,
    readonly rejectFn: ((reason: unknown) => void) | undefined,
  ) {}

  /** The abort listener. */
  handleEvent(): void {
    const signal = this.signal;
    if (signal === undefined) return;
    // The listener was added with `once`, so it is gone already: forgetting the signal spares `unlink` a
    // removeEventListener, which costs as much as the add in Node 20.
    this.signal = undefined;
    if (!this.queue.unlink(this.waiter)) return;
    if (this.call !== undefined) leftEarly(this.call, "abort");
    this.waiter.reject(signal.reason);
  }
}

/** Shared, so that adding a listener allocates no options bag. */
const ONCE: AddEventListenerOptions = { once: true };

function expire<T>(c: Extra<T>): void {
  c.timer = undefined;
  const w = c.waiter;
  if (!c.queue.unlink(w)) return;
  if (c.call !== undefined) leftEarly(c.call, "timeout");
  let outcome: T;
  try {
    outcome = c.queue.onTimeout();
  } catch (error) {
    w.reject(error);
    return;
  }
  w.resolve(outcome);
}

/**
 * What a queue's waiters wait for, for a deadlock report: the primitive, its kind, and how a waiter's
 * line reads before the primitive ("to acquire", "for a notify of", "to get from"...).
 */
export interface About {
  readonly subject: object;
  readonly kind: ResourceKind | "thread";
  readonly op: string;
}

export class WaiterQueue<T> {
  /** @internal Its waiters, longest first (the deadlock detector reads them too). */
  readonly list = new LinkedList<Waiter<T>>();
  /** What its waiters wait for (see `of`). */
  about: About | undefined = undefined;
  /** Whether the deadlock detector lists it (./waits.ts). */
  listed = false;

  /**
   * @param onTimeout what a waiter whose time ran out settles with: a value (`false`), or a throw, which
   * rejects it (`QueueEmpty`). It runs after the waiter has left the queue.
   * @param rejects whether a waiter without a signal may be rejected: `fail`, or an `onTimeout` that throws.
   */
  constructor(
    readonly onTimeout: () => T,
    private readonly rejects = false,
  ) {}

  get size(): number {
    return this.list.size;
  }

  /** Says what its waiters wait for (`subject`'s `_holder()`, if it has one, says who holds it). */
  of(subject: object, kind: ResourceKind | "thread", op: string): this {
    this.about = { subject, kind, op };
    return this;
  }

  /**
   * Waits at the back of the queue until woken, for at most `timeout` ms. An already-aborted signal or a
   * timeout of 0 settles at once without queueing. Cancel-safe: on timeout or abort the waiter leaves at once.
   */
  wait(timeout: number, signal?: AbortSignal, payload?: unknown): Promise<T> {
    // Inline executors, not shared ones: V8 inlines them into `new Promise` (a shared one measured slower),
    // and the first makes no reject function (see the top of this file).
    let resolve!: Waiter<T>["resolve"];
    if (
      timeout === Number.POSITIVE_INFINITY &&
      signal === undefined &&
      payload === undefined &&
      !this.rejects &&
      !probe.on
    ) {
      // The plain waiter, which only a wake ends: the hand-off's hot path, first, with a promise of its own
      // (one `new Promise` shared with the path below measured ~7% slower in a Semaphore(10) hand-off).
      const promise = new Promise<T>((res) => {
        resolve = res;
      });
      const w = new Waiter<T>(resolve, undefined);
      this.list.push(w);
      if (detection.on) watched(this, w);
      return promise;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeout <= 0) {
      try {
        return Promise.resolve(this.onTimeout());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    let reject: ((reason: unknown) => void) | undefined;
    const promise =
      signal === undefined && !this.rejects
        ? new Promise<T>((res) => {
            resolve = res;
          })
        : new Promise<T>((res, rej) => {
            resolve = res;
            reject = rej;
          });
    const c = new Extra<T>(this, payload, reject);
    const w = new Waiter<T>(resolve, c);
    c.waiter = w;
    this.list.push(w);
    if (probe.on) {
      c.call = currentCall();
      if (c.call !== undefined) queued(c.call);
    }
    if (timeout !== Number.POSITIVE_INFINITY) {
      c.deadline = now() + timeout;
      arm(c, expire);
    }
    if (signal !== undefined) {
      c.signal = signal;
      signal.addEventListener("abort", c, ONCE);
    }
    if (detection.on) watched(this, w);
    return promise;
  }

  /** Hands `value` (or the promise of it) to the longest waiter; false if nobody waits. */
  wake(value: T | PromiseLike<T>): boolean {
    const w = this.list.shift();
    if (w === null) return false;
    this.drop(w);
    if (probe.on) {
      const call = w.extra?.call;
      if (call !== undefined) handoff(call, call);
    }
    w.resolve(value);
    return true;
  }

  /** Takes `w` out of the queue and drops its timer and listener; false if it had already left. */
  unlink(w: Waiter<T>): boolean {
    if (!this.list.remove(w)) return false;
    this.drop(w);
    return true;
  }

  /** Drops the timer and the abort listener of a waiter that has just left the list. */
  private drop(w: Waiter<T>): void {
    const c = w.extra;
    if (c === undefined) return;
    if (c.timer !== undefined) disarm(c);
    if (c.signal !== undefined) {
      c.signal.removeEventListener("abort", c);
      c.signal = undefined;
    }
  }
}

/*
 * What only some primitives do with a queue, as functions rather than methods, so that a bundle of the
 * others (a lone Lock) leaves them out.
 */

/** The payload of the longest waiter of `q`, or undefined. */
export function peek<T>(q: WaiterQueue<T>): unknown {
  return q.list.head?.extra?.payload;
}

/** Wakes every waiter of `q` present now with `value`; returns how many. */
export function wakeAll<T>(q: WaiterQueue<T>, value: T): number {
  let n = 0;
  while (q.wake(value)) n++;
  return n;
}

/** Rejects the longest waiter of `q` with `reason`; false if nobody waits. */
export function fail<T>(q: WaiterQueue<T>, reason: unknown): boolean {
  const w = q.list.head;
  if (w === null) return false;
  q.unlink(w);
  w.reject(reason);
  return true;
}

/** Rejects every waiter of `q` present now, each with a fresh error. */
export function failAll<T>(q: WaiterQueue<T>, makeError: () => unknown): void {
  while (q.size > 0) fail(q, makeError());
}
