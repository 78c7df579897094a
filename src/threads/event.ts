import type { WaitOptions } from "../api/options.ts";
import type { Event as EventApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { FINISH, Futex, TRUE } from "./futex.ts";
import { allocate, attach, Kind, SET, STATE } from "./layout.ts";
import { ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

/**
 * A flag that threads and tasks can wait for, as Python's `threading.Event`. STATE holds SET and the QUEUED
 * bit; `set()` grants every queued waiter, so each resolves true even if the flag is cleared before it runs.
 * With waiters queued, `set()` raises the flag and grants them in one hold of GUARD, as Python's set() holds
 * its Condition's lock: a waiter queues under GUARD too, so one that came after a `clear()` is never granted
 * by a `set()` that began before it.
 */
export class Event implements EventApi {
  /** @internal */
  declare readonly _core: Futex;
  /** Makes the class nominal: a Lock and an RLock have the same public shape but are not interchangeable. */
  declare private readonly brand: "Event";

  constructor() {
    // A set() that died inside GUARD had raised SET before granting: its waiters are granted (FINISH).
    (this as { _core: Futex })._core = new Futex(allocate(Kind.Event), undefined, FINISH);
  }

  /** @internal A live Event over a received buffer (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer): Event {
    const event = Object.create(Event.prototype) as Event;
    (event as { _core: Futex })._core = new Futex(attach(buffer, Kind.Event), undefined, FINISH);
    return event;
  }

  isSet(): boolean {
    return (Atomics.load(this._core.i32, STATE) & SET) !== 0;
  }

  /** Sets the flag and wakes every waiter; a set with nobody waiting notifies nobody. */
  set(): void {
    if (probe.on) pointOf(this, "set");
    const core = this._core;
    const i32 = core.i32;
    const s = Atomics.compareExchange(i32, STATE, 0, SET); // clear, and nobody queued: raised in one step
    // Set already: nobody waits, or the set that raised it grants them.
    if (s === 0 || (s & SET) !== 0) return;
    // Waiters are queued: raise and grant under GUARD (if they left meanwhile, this grants nobody).
    core.lock();
    Atomics.or(i32, STATE, SET);
    core.grantAll(1);
    core.unlock();
  }

  clear(): void {
    if (probe.on) pointOf(this, "clear");
    Atomics.and(this._core.i32, STATE, ~SET);
  }

  /**
   * Resolves true once the flag is set (at once if it is), false on timeout.
   * Cancel-safe: on abort it rejects with `signal.reason` (unless a set came first: then it resolves true).
   * @example
   * ```ts
   * if (!(await ready.wait({ timeout: 5000 }))) throw new Error("not ready in 5 s");
   * ```
   */
  wait(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "wait", opts, this.wait, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (this.isSet()) return TRUE;
    return this._core.acquireAsync(this, ME, 0, ms, opts?.signal);
  }

  /**
   * The blocking twin of `wait`.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * ready.waitSync(); // in a worker: blocks until another thread sets it
   * ```
   */
  waitSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "wait", opts, this.waitSync, opts);
    const ms = admitSync(opts);
    if (this.isSet()) return true;
    return this._core.acquireSync(this, ME, 0, ms);
  }

  /**
   * @internal Waiting for an Event "takes" nothing: a set flag lets everyone through. The callers above
   * check SET before the core does, because the core refuses to take while QUEUED is set, and QUEUED stays
   * set for a moment after a waiter is granted, until the `set()` that granted it leaves GUARD.
   */
  take(state: number): number {
    return (state & SET) !== 0 ? state : -1;
  }

  /** @internal */
  took(): void {}
}
