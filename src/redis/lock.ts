import { LockBase } from "./lock-like.ts";
import type { RedisOptions } from "./named.ts";

/**
 * threading.Lock across processes: `new Lock({ name, client })`. Not reentrant; any process may release it
 * (as Python), while a guard from `hold()`/`run()` only gives back its own grant. A holder's lease is renewed
 * while its process lives; `lease.fence` is the grant's fencing token.
 */
export class Lock extends LockBase {
  /** @internal */ readonly _reentrant = false;

  constructor(options: RedisOptions) {
    super(options, "Lock");
  }

  /** Releases the lock, whoever holds it (as Python). RuntimeError('release unlocked lock') if unlocked. */
  release(): Promise<void> {
    return this.giveBack("", "");
  }
}
