import { LockBase } from "./lock-like.ts";
import type { RedisOptions } from "./named.ts";
import { ownerChain, task } from "./owner.ts";

/**
 * threading.RLock across processes: `new RLock({ name, client })`. The owner is this process and, within it,
 * the innermost `run()` scope (see ./owner.ts): nested calls re-enter, concurrent `run()` calls exclude each
 * other, and only the owner may release ("cannot release un-acquired lock").
 */
export class RLock extends LockBase {
  /** @internal */ readonly _reentrant = true;

  constructor(options: RedisOptions) {
    super(options, "RLock");
  }

  /** Releases one level held by the current owner. */
  release(): Promise<void> {
    return this.giveBack(ownerChain(), "");
  }

  /**
   * Runs `fn` holding the lock, as a scope of its own nested in the current one.
   * Cancel-safe: on abort nothing is taken.
   * @example
   * ```ts
   * await rlock.run(async () => rlock.run(() => 1)); // nested: re-entered
   * ```
   */
  override run<T>(fn: () => T | Promise<T>, opts?: import("../api/options.ts").WaitOptions): Promise<T> {
    return task(() => super.run(fn, opts));
  }
}
