/**
 * What every lock-like primitive of the local tier shares: `hold()` and `run()` (the shell written once for
 * every tier, ../internal/scoped.ts), the cached promises that keep the uncontended path allocation-free, and
 * what a Condition needs from its lock.
 */
import { Scoped } from "../internal/scoped.ts";

export { Scoped as LockLike };

export const TRUE: Promise<boolean> = Promise.resolve(true);
export const FALSE: Promise<boolean> = Promise.resolve(false);

/** What a Condition needs from its lock: Python's `_is_owned`, `_release_save` and `_acquire_restore`. */
export interface ConditionLock extends Scoped {
  /** @internal Whether the current task may wait on or notify a Condition over this lock. */
  _isOwned(): boolean;
  /** @internal Lets go of the lock entirely, returning what `_acquireRestore` needs to take it back. */
  _releaseSave(): unknown;
  /** @internal Takes the lock back as it was; never times out and cannot be aborted. */
  _acquireRestore(saved: unknown): Promise<unknown>;
}
