/**
 * `hold()` and `run()` for a tier whose release is a round trip (Redis), by the rules of ./scoped.ts. A module
 * of its own: its guard's `Symbol.dispose` is installed when it loads, which a bundler cannot drop, so the
 * tiers that never use it must not import it.
 */
import { TimeoutError } from "../api/errors.ts";
import type { AsyncGuard, WaitOptions } from "../api/options.ts";
import { DONE, letGoRejecting, notAFunction, runQueued } from "./scoped.ts";

/**
 * The guard of a release that is a round trip: lets go once, and `await using` (or `await guard.release()`)
 * waits for it, so its outcome (a lease lost meanwhile, say) is seen where the scope ends.
 */
export class AsyncHeld implements AsyncGuard {
  private lock: { release(): Promise<void> } | null;
  constructor(lock: { release(): Promise<void> }) {
    this.lock = lock;
  }
  release(): Promise<void> {
    const lock = this.lock;
    if (lock === null) return DONE;
    this.lock = null;
    return lock.release();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/*
 * A synchronous `using` cannot wait for the release, so the scope would end with the primitive still held and
 * the release's outcome unseen. AsyncHeld's type has no Symbol.dispose, so TypeScript refuses `using` on it;
 * JavaScript reaches this one, which lets go (nothing stays held) and throws a TypeError saying what to write.
 */
Object.defineProperty(AsyncHeld.prototype, Symbol.dispose, {
  value(this: AsyncHeld): never {
    // Its outcome cannot reach the caller (the TypeError does); a rejection must not end the process.
    this.release().catch(() => {});
    throw new TypeError(
      "this guard's release is a round trip: use `await using`, not `using` (it was released)",
    );
  },
});

/** Shells of a tier whose release is a round trip (Redis): no synchronous fast path, every release awaited. */
export abstract class AsyncScoped {
  abstract acquire(opts?: WaitOptions): Promise<boolean>;
  abstract release(): Promise<void>;

  /**
   * Waits for the primitive, then resolves to a guard that releases it once
   * (`await using _ = await lock.hold()`). Rejects with TimeoutError if the timeout passes first.
   * Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * await using _held = await lock.hold({ timeout: 1000 });
   * ```
   */
  async hold(opts?: WaitOptions): Promise<AsyncGuard> {
    let granted: boolean;
    try {
      granted = await this.acquire(opts);
    } catch (error) {
      return letGoRejecting(this, error);
    }
    if (!granted) throw new TimeoutError();
    return new AsyncHeld(this);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws), and resolves what `fn` returned (see the top).
   * Cancel-safe: on abort it rejects with `signal.reason`, `fn` never runs and nothing is held.
   * @example
   * ```ts
   * const n = await lock.run(async () => ++counter);
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    if (typeof fn !== "function") return notAFunction();
    return runQueued(this, fn, opts);
  }
}
