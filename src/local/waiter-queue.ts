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
 * - Nothing is allocated per waiter but the node and its promise: the node itself is the abort listener
 *   (`handleEvent`) and the timer's argument. A waiter that nothing can reject (no signal, in a queue
 *   that never fails its waiters) does not even take its promise's reject function: when the executor
 *   leaves `reject` unused, V8 does not make it, and that measured ~10% of a Semaphore hand-off (bench
 *   local.semaphore).
 */
import { arm, disarm, now, type Timed } from "../internal/deadline.ts";
import { LinkedList, type ListNode } from "../internal/list.ts";

export class Waiter<T> implements ListNode, Timed {
  prev: this | null = null;
  next: this | null = null;
  list: LinkedList<this> | null = null;
  deadline = Number.POSITIVE_INFINITY;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  signal: AbortSignal | undefined = undefined;

  constructor(
    readonly queue: WaiterQueue<T>,
    /** What the waiter brings along (a putter's item, a Condition waiter's saved lock state). */
    readonly payload: unknown,
    readonly resolve: (value: T | PromiseLike<T>) => void,
    private readonly rejectFn: ((reason: unknown) => void) | undefined,
  ) {}

  /**
   * Settles the waiter's promise rejected with `reason`. Without its reject function (which only a misuse
   * of the queue's `rejects` would need) through resolve, with a thenable that rejects: a microtask later.
   */
  reject(reason: unknown): void {
    if (this.rejectFn !== undefined) this.rejectFn(reason);
    else this.resolve(new Rejection(reason) as unknown as PromiseLike<T>);
  }

  /** The abort listener. */
  handleEvent(): void {
    const signal = this.signal;
    if (signal === undefined) return;
    // The listener was added with `once`, so it is gone already: forgetting the signal spares `unlink` a
    // removeEventListener, which costs as much as the add in Node 20.
    this.signal = undefined;
    if (this.queue.unlink(this)) this.reject(signal.reason);
  }
}

/** A thenable that rejects whatever adopts it: how a waiter that keeps only `resolve` is rejected. */
class Rejection {
  constructor(private readonly reason: unknown) {}
  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, adopted by the waiter's promise
  then(_resolve: unknown, reject: (reason: unknown) => void): void {
    reject(this.reason);
  }
}

/** Shared, so that adding a listener allocates no options bag. */
const ONCE: AddEventListenerOptions = { once: true };

function expire<T>(w: Waiter<T>): void {
  w.timer = undefined;
  if (!w.queue.unlink(w)) return;
  let outcome: T;
  try {
    outcome = w.queue.onTimeout();
  } catch (error) {
    w.reject(error);
    return;
  }
  w.resolve(outcome);
}

export class WaiterQueue<T> {
  private readonly list = new LinkedList<Waiter<T>>();

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

  /** The payload of the longest waiter, or undefined. */
  peek(): unknown {
    return this.list.head?.payload;
  }

  /**
   * Waits at the back of the queue until woken, for at most `timeout` ms. An already-aborted signal or a
   * timeout of 0 settles at once without queueing. Cancel-safe: on timeout or abort the waiter leaves at once.
   */
  wait(timeout: number, signal?: AbortSignal, payload?: unknown): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeout <= 0) {
      try {
        return Promise.resolve(this.onTimeout());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // Inline executors, not shared ones: V8 inlines them into `new Promise` (a shared one measured slower),
    // and the first makes no reject function (see the top of this file).
    let resolve!: Waiter<T>["resolve"];
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
    const w = new Waiter<T>(this, payload, resolve, reject);
    this.list.push(w);
    if (timeout !== Number.POSITIVE_INFINITY) {
      w.deadline = now() + timeout;
      arm(w, expire);
    }
    if (signal !== undefined) {
      w.signal = signal;
      signal.addEventListener("abort", w, ONCE);
    }
    return promise;
  }

  /** Hands `value` (or the promise of it) to the longest waiter; false if nobody waits. */
  wake(value: T | PromiseLike<T>): boolean {
    const w = this.list.shift();
    if (w === null) return false;
    this.drop(w);
    w.resolve(value);
    return true;
  }

  /** Wakes every waiter present now with `value`; returns how many. */
  wakeAll(value: T): number {
    let n = 0;
    while (this.wake(value)) n++;
    return n;
  }

  /** Rejects the longest waiter with `reason`; false if nobody waits. */
  fail(reason: unknown): boolean {
    const w = this.list.shift();
    if (w === null) return false;
    this.drop(w);
    w.reject(reason);
    return true;
  }

  /** Rejects every waiter present now, each with a fresh error. */
  failAll(makeError: () => unknown): void {
    while (this.size > 0) this.fail(makeError());
  }

  /** Takes `w` out of the queue and drops its timer and listener; false if it had already left. */
  unlink(w: Waiter<T>): boolean {
    if (!this.list.remove(w)) return false;
    this.drop(w);
    return true;
  }

  /** Drops the timer and the abort listener of a waiter that has just left the list. */
  private drop(w: Waiter<T>): void {
    if (w.timer !== undefined) disarm(w);
    if (w.signal !== undefined) {
      w.signal.removeEventListener("abort", w);
      w.signal = undefined;
    }
  }
}
