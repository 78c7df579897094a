/**
 * What every lock-like primitive of the threads tier shares: `hold()` and `run()` (the shell written once for
 * every tier, ../internal/scoped.ts: if the lock or permit came from a thread that died holding it, they
 * release it and reject with OwnerDiedError, since a scope cannot repair what the dead thread left), and what
 * a Condition needs from its lock.
 */
import { Scoped } from "../internal/scoped.ts";

export { Scoped as LockLike };

/** What a Condition needs from its lock: Python's `_is_owned`, `_release_save` and `_acquire_restore`. */
export interface ConditionLock extends Scoped {
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
