import { ValueError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type {
  BoundedSemaphore as BoundedSemaphoreApi,
  Semaphore as SemaphoreApi,
} from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { admitSync } from "./admit.ts";
import { Futex } from "./futex.ts";
import { allocate, attach, Kind, MAX_PERMITS, QUEUED, SEM_BOUND, STATE, VALUE_MASK } from "./layout.ts";
import { LockLike } from "./lock-like.ts";
import { ME } from "./runtime.ts";

/**
 * A counter of permits shared across threads, as Python's `threading.Semaphore`. Waiters are served first
 * come, first served: while anyone waits no permit is free (each release goes straight to the longest
 * waiter). STATE holds the free permits (at most MAX_PERMITS = 2^30 - 1) and the QUEUED bit.
 */
export class Semaphore extends LockLike implements SemaphoreApi {
  /** @internal */
  declare readonly _core: Futex;

  constructor(value = 1) {
    super();
    checkPermits(value);
    const i32 = allocate(new.target === BoundedSemaphore ? Kind.BoundedSemaphore : Kind.Semaphore);
    i32[STATE] = value;
    i32[SEM_BOUND] = new.target === BoundedSemaphore ? value : -1;
    (this as { _core: Futex })._core = new Futex(i32);
  }

  /** @internal A live Semaphore over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): Semaphore {
    return wrap(Semaphore.prototype, attach(buffer, Kind.Semaphore));
  }

  /** Permits available now. */
  get value(): number {
    return Atomics.load(this._core.i32, STATE) & VALUE_MASK;
  }

  /**
   * Resolves true once a permit is the caller's, false on timeout or a failed try.
   * Cancel-safe: on abort it rejects with `signal.reason` and no permit is taken (unless one had already
   * been handed over: then it resolves true).
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this._core.acquireAsync(this, ME, 0, ms, opts?.signal);
  }

  /** The blocking twin of `acquire`. */
  acquireSync(opts?: WaitOptions): boolean {
    return this._core.acquireSync(this, ME, 0, admitSync(opts));
  }

  tryAcquire(): boolean {
    return this._core.tryTake(this, 0);
  }

  /**
   * Gives back `n` permits (n >= 1), each to the longest waiter if any. A BoundedSemaphore refuses to exceed
   * its initial value: ValueError, and nothing changes.
   */
  release(n = 1): void {
    checkCount(n, "n", 1);
    const core = this._core;
    const i32 = core.i32;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      const permits = s & VALUE_MASK;
      const bound = Atomics.load(i32, SEM_BOUND);
      if (bound >= 0 && permits + n > bound) throw new ValueError("Semaphore released too many times");
      if (permits + n > MAX_PERMITS) throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
      if ((s & QUEUED) === 0) {
        if (Atomics.compareExchange(i32, STATE, s, s + n) === s) return;
        continue;
      }
      core.lock();
      const queued = (Atomics.load(i32, STATE) & QUEUED) !== 0; // then no permit is free
      if (queued) {
        let left = n;
        for (let cell = core.shift(); cell >= 0; cell = left > 0 ? core.shift() : -1) {
          core.grant(cell, 1);
          left--;
        }
        Atomics.store(i32, STATE, left | (core.size > 0 ? QUEUED : 0));
      }
      core.unlock();
      if (queued) return;
    }
  }

  /** @internal */
  take(state: number): number {
    return state > 0 ? state - 1 : -1;
  }

  /** @internal */
  took(): void {}
}

/** A Semaphore that refuses to hold more permits than it started with: ValueError, and nothing changes. */
export class BoundedSemaphore extends Semaphore implements BoundedSemaphoreApi {
  /** Makes the class nominal: a plain Semaphore is not a BoundedSemaphore, though it has the same shape. */
  declare private readonly bounded: true;

  /** @internal A live BoundedSemaphore over a received buffer (see ./handle.ts). */
  static override _attach(buffer: SharedArrayBuffer): BoundedSemaphore {
    return wrap(BoundedSemaphore.prototype, attach(buffer, Kind.BoundedSemaphore));
  }
}

function wrap<S extends Semaphore>(prototype: S, i32: Int32Array): S {
  const sem = Object.create(prototype) as S;
  (sem as { _core: Futex })._core = new Futex(i32);
  return sem;
}

function checkPermits(value: number): void {
  checkCount(value, "semaphore initial value", 0);
  if (value > MAX_PERMITS) throw new RangeError(`a semaphore holds at most ${MAX_PERMITS} permits`);
}
