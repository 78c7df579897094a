/**
 * What every lock-like primitive of the threads tier shares: `hold()` and `run()` on top of its own
 * `acquire()`/`release()`, and what a Condition needs from its lock. (The local tier has its own copy:
 * tiers never import one another.)
 */
import { OwnerDiedError, TimeoutError } from "../api/errors.ts";
import type { Guard, WaitOptions } from "../api/options.ts";

/** Releases its lock once, however often it is disposed. */
class Held implements Guard {
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
    this.release();
    return Promise.resolve();
  }
}

export abstract class LockLike {
  abstract acquire(opts?: WaitOptions): Promise<boolean>;
  abstract release(): void;

  /**
   * Waits for the lock, then resolves to a guard that releases it once (`using _ = await lock.hold()`).
   * Rejects with TimeoutError if the timeout passes first. Cancel-safe: on abort nothing is held. If the
   * lock or permit came from a thread that died holding it, releases it and rejects with OwnerDiedError:
   * a guard's scope cannot repair what the dead thread left, and a guard never handed out cannot release.
   */
  async hold(opts?: WaitOptions): Promise<Guard> {
    if (!(await this.acquireOrOrphan(opts))) throw new TimeoutError();
    return new Held(this);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws), and resolves what `fn` returned. Rejects with
   * TimeoutError if the timeout passes before the lock is granted; then `fn` never runs. If the lock or
   * permit came from a thread that died holding it, `fn` does not run either: it is released and `run`
   * rejects with OwnerDiedError (reported once; the next acquirer gets it normally). A `fn` that is not a
   * function rejects with TypeError at once, without waiting for the lock. If `fn` throws and the
   * release then fails too (`fn` released the lock itself, say), `run` rejects with `fn`'s error.
   */
  async run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    if (typeof fn !== "function") throw new TypeError("run() takes a function"); // before any wait
    if (!(await this.acquireOrOrphan(opts))) throw new TimeoutError();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      // fn's error is the one to see: a release that fails after it (fn misused the lock) must not mask it.
      try {
        this.release();
      } catch {}
      throw error;
    }
    this.release();
    return result;
  }

  /** `acquire`, except that an OwnerDiedError leaves nothing held (see hold and run). */
  private async acquireOrOrphan(opts?: WaitOptions): Promise<boolean> {
    try {
      return await this.acquire(opts);
    } catch (e) {
      if (e instanceof OwnerDiedError) this.release();
      throw e;
    }
  }
}

/** What a Condition needs from its lock: Python's `_is_owned`, `_release_save` and `_acquire_restore`. */
export interface ConditionLock extends LockLike {
  /** @internal Whether the current thread may wait on or notify a Condition over this lock. */
  _isOwned(): boolean;
  /** @internal How many levels this thread holds (1 for a plain Lock). */
  _depth(): number;
  /** @internal Lets go of the lock entirely, returning the depth `_acquireRestore` takes it back at. */
  _releaseSave(): number;
  /** @internal Takes the lock back at `saved` depth; never times out and cannot be aborted. */
  _acquireRestore(saved: number): Promise<boolean>;
  /** @internal The blocking twin of `_acquireRestore`. */
  _acquireRestoreSync(saved: number): boolean;
  /**
   * @internal The waiter holds the lock again at `saved` depth, however it got it back (handed over, or
   * taken back itself, with OwnerDiedError or not): settles what `_releaseSave` lent (see RLock).
   */
  _restored(saved: number): void;
}
