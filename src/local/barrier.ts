import { BrokenBarrierError } from "../api/errors.ts";
import type { BarrierOptions, WaitOptions } from "../api/options.ts";
import type { Barrier as BarrierApi } from "../api/primitives.ts";
import { admit, checkCount, waitTime } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { point, probe, resourceOf, timeoutOf, traceAsync } from "../internal/probe.ts";
import { failAll, WaiterQueue, wakeAll } from "./waiter-queue.ts";

/**
 * A cyclic barrier for `parties` tasks, as Python's `threading.Barrier`.
 *
 * States: filling (parties arrive), draining (the last arrival's async action runs; newcomers wait to enter
 * the next round), broken (until `reset()`). Python's resetting state is not needed here: a reset rejects
 * every waiting party in one synchronous step, so the barrier is filling again at once.
 *
 * Arrival indices are handed out when the round completes, in arrival order among the parties still there,
 * so a party whose wait is aborted leaves as if it never came and the indices stay exactly 0..parties-1.
 * A party whose wait times out breaks the barrier for everyone (as threading does).
 */
export class Barrier implements BarrierApi {
  readonly parties: number;
  private readonly action: (() => unknown) | undefined;
  private readonly timeout: number;
  private state: "filling" | "draining" | "broken" = "filling";
  /** Whether an action is running (it may outlive its round's state through abort() and reset()). */
  private acting = false;
  /** Bumped by every abort(), so that a running action learns its round was broken meanwhile. */
  private aborts = 0;
  /** The parties of the current round, waiting for the last one. */
  private readonly arrived = new WaiterQueue<number>(() => {
    this.abort();
    throw new BrokenBarrierError();
  }, true).of(this, "barrier", "at"); // rejects its waiters: on timeout, and by fail
  /** Newcomers waiting for an async action of the previous round to finish: true once woken, false on timeout. */
  private readonly entering = new WaiterQueue<boolean>(() => false).of(this, "barrier", "at");

  constructor(parties: number, options: BarrierOptions = {}) {
    this.parties = checkCount(parties, "parties", 1);
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { action, timeout } = options;
    if (action !== undefined && typeof action !== "function")
      throw new TypeError("action must be a function");
    this.action = action;
    this.timeout = waitTime({ timeout });
  }

  /** Parties waiting in the current round (0 unless filling). */
  get nWaiting(): number {
    return this.state === "filling" ? this.arrived.size : 0;
  }

  get broken(): boolean {
    return this.state === "broken";
  }

  /**
   * Waits for all parties and resolves this party's arrival index (0..parties-1); the last arrival runs the
   * action first. BrokenBarrierError if the barrier is or becomes broken. `timeout` defaults to the
   * barrier's; running out breaks the barrier. Cancel-safe: on abort the party leaves as if it never came.
   * @example
   * ```ts
   * const start = new Barrier(3);
   * const i = await start.wait(); // 0, 1 or 2: the order of arrival
   * ```
   */
  wait(opts?: WaitOptions): Promise<number> {
    if (probe.on && probe.self !== this)
      return traceAsync(
        this,
        resourceOf(this, "barrier"),
        "wait",
        timeoutOf(opts, this.timeout),
        this.wait,
        opts,
      );
    // Not an async function: a party's wait is its waiter's own promise, with no second promise (and the
    // ticks it takes to adopt the first) wrapped around it.
    const ms = admit(opts, this.timeout);
    if (typeof ms !== "number") return ms;
    if (this.state === "filling") return this.arrive(ms, opts?.signal);
    if (this.state === "broken") return Promise.reject(new BrokenBarrierError());
    return this.enter(ms, opts?.signal);
  }

  /** Joins the filling round. */
  private arrive(ms: number, signal: AbortSignal | undefined): Promise<number> {
    if (this.arrived.size + 1 < this.parties) return this.arrived.wait(ms, signal);
    return this.pass();
  }

  /**
   * A newcomer while an action runs: waits for the next round to open, then joins it. Its timeout counts
   * from the call, the drain included (as in the threads tier): one that runs out (at once, for a try)
   * breaks the barrier as a party's timeout does; the round that is draining still passes.
   */
  private async enter(ms: number, signal: AbortSignal | undefined): Promise<number> {
    const deadline = now() + ms;
    while (this.state === "draining") {
      const left = deadline - now();
      if (left <= 0 || !(await this.entering.wait(left, signal))) {
        if (this.state === "draining") {
          this.state = "broken";
          wakeAll(this.entering, true);
        }
        throw new BrokenBarrierError();
      }
    }
    if (this.state === "broken") throw new BrokenBarrierError();
    return this.arrive(Math.max(0, deadline - now()), signal);
  }

  /** Breaks the barrier for the parties waiting now, then makes it usable again. */
  reset(): void {
    if (this.state === "draining") return; // the round has passed already; Python leaves draining alone
    if (probe.on) point(resourceOf(this, "barrier"), "reset");
    failAll(this.arrived, () => new BrokenBarrierError());
    // After an abort() during an action, newcomers still wait for that action to end before a new round.
    this.state = this.acting ? "draining" : "filling";
  }

  /** Breaks the barrier: current and future waits fail until `reset()`. */
  abort(): void {
    this.aborts++;
    this.state = "broken";
    if (probe.on) point(resourceOf(this, "barrier"), "broken");
    failAll(this.arrived, () => new BrokenBarrierError());
    wakeAll(this.entering, true);
  }

  /** The last arrival: hand every waiting party its index, once the action has succeeded. */
  private pass(): Promise<number> {
    const last = this.parties - 1;
    if (this.action === undefined) {
      for (let i = 0; this.arrived.wake(i); i++);
      return Promise.resolve(last);
    }
    // The round is complete: take the parties out of the queue now, before the action runs (it may abort a
    // party's signal), so that their timeouts and signals no longer apply, and let each settle with the
    // action's outcome.
    let started!: (action: Promise<void>) => void;
    const round = new Promise<void>((resolve) => {
      started = resolve;
    });
    for (let i = 0; this.arrived.size > 0; i++) this.arrived.wake(round.then(() => i, brokenBarrier));
    started(this.runAction());
    return round.then(() => last);
  }

  private async runAction(): Promise<void> {
    this.state = "draining";
    this.acting = true;
    const aborts = this.aborts;
    try {
      await this.action!();
    } catch (error) {
      this.abort();
      throw error;
    } finally {
      this.acting = false;
    }
    if (this.state === "draining") {
      this.state = "filling";
      wakeAll(this.entering, true);
    }
    if (this.aborts !== aborts) throw new BrokenBarrierError(); // aborted while the action ran
  }
}

function brokenBarrier(): never {
  throw new BrokenBarrierError();
}
