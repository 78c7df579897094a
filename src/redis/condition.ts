import type { WaitOptions } from "../api/options.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { currentCall, point, probe, traceAsync } from "../internal/probe.ts";
import type { Held } from "./guard.ts";
import type { LockBase } from "./lock-like.ts";
import { LockBase as LockClass } from "./lock-like.ts";
import { Named, type RedisOptions } from "./named.ts";
import { ownerChain } from "./owner.ts";
import { RLock } from "./rlock.ts";
import { Script } from "./script.ts";
import { LOCK } from "./scripts/lock.ts";
import { PENDING, type Pending } from "./waker.ts";

const SCRIPT = new Script(LOCK);

type Reply = [number, string?, string?, string?, string?];

/**
 * threading.Condition across processes: `new Condition(lock?, { name, client })`, over a Lock or RLock of
 * this tier (default a new RLock of the same name). Its keys share the lock's hash tag, so `wait()` enqueues
 * and lets go of the lock in one script (no notify can fall in between), and `notify(n)` moves exactly
 * min(n, waiting) waiters, the longest first, to the lock's line: a notified waiter wakes when the lock is
 * handed to it, at its old depth.
 */
export class Condition extends Named {
  private readonly lock: LockBase;
  protected readonly script = SCRIPT;
  protected readonly keys: string[];

  constructor(lock?: LockBase | RedisOptions, options?: RedisOptions) {
    const given = lock instanceof LockClass ? lock : undefined;
    const opts = given === undefined && lock !== undefined ? (lock as RedisOptions) : options;
    super(
      given && opts && opts.client === undefined ? { ...opts, client: given._client } : opts,
      "Condition",
      given?.name,
    );
    this.lock = given ?? new RLock(opts as RedisOptions);
    this.keys = [...this.lock.keys, ...this.line(`cond:${this.name}`)];
  }

  /**
   * Waits for the lock or a permit; resolves true, or false on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * if (await cond.acquire({ timeout: 1000 })) {
   *   try { work(); } finally { await cond.release(); }
   * }
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    return this.lock.acquire(opts);
  }
  tryAcquire(): Promise<boolean> {
    return this.lock.tryAcquire();
  }
  release(): Promise<void> {
    return this.lock.release();
  }
  locked(): Promise<boolean> {
    return this.lock.locked();
  }
  /**
   * Waits, then resolves a guard whose release is a round trip: use `await using`. Rejects with TimeoutError on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * await using _held = await cond.hold({ timeout: 1000 });
   * ```
   */
  hold(opts?: WaitOptions): Promise<Held> {
    return this.lock.hold(opts);
  }
  /**
   * Acquires, runs `fn`, releases (also when `fn` throws) and resolves what `fn` returned. Cancel-safe: on abort `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await cond.run(async () => save(record, cond.lease?.fence));
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return this.lock.run(fn, opts);
  }

  /**
   * Lets go of the lock, waits to be notified, takes the lock back (at its depth) and resolves true; false
   * after the timeout, still taking the lock back first. RuntimeError without the lock. Cancel-safe: on
   * abort it rejects with `signal.reason` once it holds the lock again; a notify it got first is kept (it
   * resolves true).
   * @example
   * ```ts
   * await using _held = await cond.hold();
   * while (!(await ready())) await cond.wait({ timeout: 1000 });
   * ```
   */
  wait(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this.waitFor1(ms, opts?.signal);
  }

  /**
   * Waits until `predicate()` is truthy and resolves its last value (Python's wait_for, absolute deadline).
   * Cancel-safe as `wait`: on abort it takes the lock back, then rejects with `signal.reason`.
   * @example
   * ```ts
   * await using _held = await cond.hold();
   * await cond.waitFor(() => ready(), { timeout: 1000 });
   * ```
   */
  async waitFor<T>(predicate: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    if (typeof predicate !== "function") throw new TypeError("predicate must be a function");
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const end = now() + ms;
    let result = await predicate();
    let first = true;
    while (!result) {
      let left = ms;
      if (!first) {
        left = end - now();
        if (left <= 0) break;
      }
      first = false;
      await this.waitFor1(left, opts?.signal);
      result = await predicate();
    }
    return result;
  }

  /** Wakes exactly min(n, waiting) waiters, the longest first. RuntimeError without the lock. */
  notify(n = 1): Promise<void> {
    checkCount(n, "n", 0);
    return this.call("notify", [this.chain(), this.lock._reentrant ? 1 : 0, n]).then(() => {
      if (probe.on) point(this._traced("condition"), "notify", n);
    });
  }

  notifyAll(): Promise<void> {
    return this.notify(2 ** 31);
  }

  private chain(): string {
    return this.lock._reentrant ? ownerChain() : "";
  }

  private async waitFor1(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    // Traced here, where wait and each round of waitFor come.
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced("condition"), "wait", ms, this.waitFor1, ms, signal);
    const call = probe.on ? currentCall() : undefined;
    if (!this._waker.listening) await this._waker.ready();
    const waiter = this._waker.begin(call);
    try {
      const first = (await this.call("cwait", [
        waiter.id,
        this.chain(),
        this.lock._reentrant ? 1 : 0,
      ])) as Reply;
      const [, fence, owner, count] = first;
      this.lock._dropped(fence!);
      let aborted = false;
      const back = (r: Reply): boolean | Pending => {
        if (r[0] !== 1) return PENDING;
        this.lock._granted(r[1]!);
        return r[4] === "1";
      };
      const notified = await this._waker.park(waiter, ms, signal, {
        claim: async () => back((await this.call("cclaim", [waiter.id, owner!, count!])) as Reply),
        timeout: async () => back((await this.call("ccancel", [waiter.id, owner!, count!])) as Reply),
        abort: async () => {
          aborted = true;
          return back((await this.call("ccancel", [waiter.id, owner!, count!])) as Reply);
        },
        receive: (ticket) => {
          this.lock._received(waiter.id, ticket);
          return ticket.endsWith("|1");
        },
      });
      if (aborted && !notified) throw signal!.reason;
      return notified;
    } finally {
      this._waker.end(waiter);
    }
  }
}
