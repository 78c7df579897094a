import type { WaitOptions } from "../api/options.ts";
import type { Event as EventApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { point, probe, resourceOf, timeoutOf, traceAsync } from "../internal/probe.ts";
import { FALSE, TRUE } from "./lock-like.ts";
import { WaiterQueue, wakeAll } from "./waiter-queue.ts";

/** A flag that tasks can wait for, as Python's `threading.Event`. */
export class Event implements EventApi {
  private flag = false;
  private readonly waiters = new WaiterQueue<boolean>(() => false).of(this, "event", "for");

  isSet(): boolean {
    return this.flag;
  }

  /** Sets the flag and wakes every waiter; they resolve true even if the flag is cleared before they run. */
  set(): void {
    this.flag = true;
    if (probe.on) point(resourceOf(this, "event"), "set", this.waiters.size);
    wakeAll(this.waiters, true);
  }

  clear(): void {
    this.flag = false;
    if (probe.on) point(resourceOf(this, "event"), "clear");
  }

  /**
   * Resolves true once the flag is set (at once if it is), false on timeout.
   * Cancel-safe: on abort it rejects with `signal.reason`.
   * @example
   * ```ts
   * if (!(await ready.wait({ timeout: 5000 }))) throw new Error("not ready in 5 s");
   * ```
   */
  wait(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, resourceOf(this, "event"), "wait", timeoutOf(opts), this.wait, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.flag) return TRUE;
    return ms === 0 ? FALSE : this.waiters.wait(ms, opts?.signal);
  }
}
