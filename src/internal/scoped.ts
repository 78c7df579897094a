/**
 * `hold()` and `run()`, the same in every tier, on top of a primitive's own `acquire()` and `release()`:
 * - Scoped, for tiers whose release is synchronous (local, threads): a free primitive is taken at once
 *   (`tryAcquire`), `fn` is called before `run` returns, and a synchronous `fn` has let go by then too.
 * - AsyncScoped (./async-scoped.ts, a module of its own so that bundles of the other tiers leave it out),
 *   for a tier whose release is a round trip (Redis): its guard is released with `await using`.
 *
 * The rules both keep:
 * - `run(fn)` with a non-function rejects with TypeError before anything is waited for or taken.
 * - A timeout rejects with TimeoutError and `fn` never runs; an abort rejects with `signal.reason` and nothing
 *   is held.
 * - An acquire that rejects with OwnerDiedError leaves the caller holding what a dead holder left: a scope
 *   cannot repair that state, so it lets go and rejects with it (`fn` does not run, no guard is handed out).
 * - If `fn` throws and the release then fails too (`fn` let go itself), `run` rejects with `fn`'s error, the
 *   first failure. Python's `with` would raise the release's error with `fn`'s as its context; JavaScript can
 *   only keep both by wrapping `fn`'s error, which would break the caller's `instanceof` checks on it. If
 *   `fn` succeeds and the release fails, `run` rejects with the release's error.
 */
import { OwnerDiedError, TimeoutError } from "../api/errors.ts";
import type { Awaitable, Guard, WaitOptions } from "../api/options.ts";
import { admit } from "./checks.ts";
import { isThenable } from "./thenable.ts";

/** What a `run(fn)` whose `fn` returned nothing resolves, and a settled release: shared, never allocated. */
export const DONE: Promise<undefined> = Promise.resolve(undefined);

interface Releasable {
  release(): Awaitable<void>;
}

interface Acquirable extends Releasable {
  acquire(opts?: WaitOptions): Promise<boolean>;
}

/** The guard of a synchronous release: lets go once, however often it is released or disposed. */
export class Held implements Guard {
  private lock: { release(): void } | null;
  constructor(lock: { release(): void }) {
    this.lock = lock;
  }
  release(): void {
    const lock = this.lock;
    this.lock = null;
    lock?.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.release();
    } catch (error) {
      return Promise.reject(error);
    }
    return DONE;
  }
}

/** Shells of tiers whose release is synchronous (local, threads). */
export abstract class Scoped {
  abstract acquire(opts?: WaitOptions): Promise<boolean>;
  abstract tryAcquire(): boolean;
  abstract release(): void;

  /**
   * Waits for the primitive, then resolves to a guard that releases it once (`using _ = await lock.hold()`).
   * Rejects with TimeoutError if the timeout passes first. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * using _held = await lock.hold({ timeout: 1000 }); // released at the end of the block
   * ```
   */
  async hold(opts?: WaitOptions): Promise<Guard> {
    // The test sits inside the try so that the suspended call keeps no extra slot: hold() allocates no more
    // than `if (!(await acquire())) throw` alone did.
    try {
      if (!(await this.acquire(opts))) throw new TimeoutError();
    } catch (error) {
      if (error instanceof OwnerDiedError) this.release();
      throw error;
    }
    return new Held(this);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws), and resolves what `fn` returned; see the rules at
   * the top of ./scoped.ts. A free primitive is taken and `fn` called before `run` returns.
   * Cancel-safe: on abort it rejects with `signal.reason`, `fn` never runs and nothing is held.
   * @example
   * ```ts
   * const n = await lock.run(async () => ++counter);
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    // Not an async function: when the primitive is free it is taken synchronously and `fn` runs at once, and
    // a synchronous `fn` is released after without an await, so `run` costs about what acquire+release does.
    if (typeof fn !== "function") return notAFunction();
    if (opts !== undefined) {
      const ms = admit(opts);
      if (typeof ms !== "number") return ms;
    }
    let took: boolean;
    try {
      took = this.tryAcquire();
    } catch (error) {
      return letGoRejecting(this, error);
    }
    if (!took) return runQueued(this, fn, opts);
    let result: T | Promise<T>;
    try {
      result = fn();
      if (isThenable(result)) return runQueued(this, fn, undefined, result);
    } catch (error) {
      return this.releaseThen(error, true);
    }
    return this.releaseThen(result, false);
  }

  /** Releases, then settles with `outcome`: fn's value, or what it threw (which a failed release does not mask). */
  private releaseThen<T>(outcome: unknown, threw: boolean): Promise<T> {
    try {
      this.release();
    } catch (error) {
      return Promise.reject(threw ? outcome : error);
    }
    if (threw) return Promise.reject(outcome);
    return outcome === undefined ? (DONE as Promise<T>) : Promise.resolve(outcome as T);
  }
}

export function notAFunction(): Promise<never> {
  return Promise.reject(new TypeError("fn must be a function"));
}

/** An acquire threw: rejects with its error, having let go first if it left the caller holding (OwnerDiedError). */
export async function letGoRejecting(lock: Releasable, error: unknown): Promise<never> {
  if (error instanceof OwnerDiedError) await lock.release();
  throw error;
}

/**
 * `run` once the primitive was not free: wait, then run `fn` holding it (inlined: no extra turns). Given
 * `pending` (what `fn` returned, holding the primitive already), it only holds on until that settles, then
 * releases and settles as it did (fn's error first).
 */
export async function runQueued<T>(
  lock: Acquirable,
  fn: () => T | Promise<T>,
  opts?: WaitOptions,
  pending?: PromiseLike<T>,
): Promise<T> {
  if (pending === undefined) {
    let granted: boolean;
    try {
      granted = await lock.acquire(opts);
    } catch (error) {
      return letGoRejecting(lock, error);
    }
    if (!granted) throw new TimeoutError();
  }
  let value: T;
  try {
    value = await (pending ?? fn());
  } catch (error) {
    await releaseQuietly(lock);
    throw error;
  }
  const released = lock.release();
  if (released !== undefined) await released;
  return value;
}

/** The release after `fn` threw: its own failure (fn let go itself) must not mask fn's error. */
async function releaseQuietly(lock: Releasable): Promise<void> {
  try {
    await lock.release();
  } catch {}
}
