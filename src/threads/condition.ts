import { RuntimeError } from "../api/errors.ts";
import type { Guard, WaitOptions } from "../api/options.ts";
import type { Condition as ConditionApi } from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { admitSync } from "./admit.ts";
import { FULL, Futex, TAKEN, type Taker } from "./futex.ts";
import { allocate, attach, HEADER, Kind, QUEUED, ROOM, STATE } from "./layout.ts";
import { Lock } from "./lock.ts";
import type { ConditionLock } from "./lock-like.ts";
import { RLock } from "./rlock.ts";
import { ME } from "./runtime.ts";

/** A Condition waiter never takes without queueing: every wait is a ticket in the FIFO. */
const TICKET: Taker = { take: () => -1, took() {} };

/*
 * What a notify grants a waiter's ticket (wait morphing, as futex requeue): the notifier moves the waiter
 * onto the lock's FIFO, so the waiter is handed the lock in turn and no newcomer (the notifier's own next
 * acquire, say) takes it first. A value >= HEADER is the waiter's cell in the lock's FIFO.
 */
/** Notified, but the lock's FIFO was full: take the lock back yourself. */
const REACQUIRE = 1;
/** Notified, and the lock was free: it is already yours, at your depth. */
const OWNED = 2;

/** Takes a lock on behalf of a notified waiter (its owner word and depth), not of the notifying thread. */
class Heir implements Taker {
  owner = 0;
  constructor(private readonly lock: Lock | RLock) {}
  take(state: number): number {
    return state === 0 ? this.owner : -1;
  }
  took(depth: number): void {
    this.lock.took(depth);
  }
}

/**
 * A condition variable shared across threads, as Python's `threading.Condition`, over a threads Lock or (by
 * default) a new RLock. `notify(n)` wakes exactly min(n, waiting) waiters, longest first, on any thread; a
 * notify before anyone waits is lost. A waiter takes its ticket (a cell in the FIFO) before it lets go of
 * the lock, so a notify made by the next holder cannot miss it. A notify moves the waiter onto the lock's
 * FIFO, so it is handed the lock (an RLock at its old depth) in turn; on timeout and abort it takes the lock
 * back itself. Either way it holds the lock again before `wait` settles.
 *
 * Beyond CAPACITY (see ./layout.ts) waiters at once, a waiter that finds no free cell lets go of the lock
 * until one frees (or its timeout passes), takes it back and returns true: a spurious wake-up, which
 * `waitFor` absorbs by checking its predicate again. Below that, `wait` returns true only when notified.
 */
export class Condition implements ConditionApi {
  /** @internal */
  declare readonly _core: Futex;
  /** @internal The lock, shared with every thread that has this Condition. */
  declare readonly _lock: Lock | RLock;
  declare private readonly heir: Heir;

  constructor(lock?: Lock | RLock) {
    if (lock !== undefined && !(lock instanceof Lock || lock instanceof RLock)) {
      throw new TypeError("Condition takes a threadkit/threads Lock or RLock");
    }
    init(this, new Futex(allocate(Kind.Condition)), lock ?? new RLock());
  }

  /** @internal A live Condition over a received buffer and its live lock (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer, lock: Lock | RLock): Condition {
    const cond = Object.create(Condition.prototype) as Condition;
    init(cond, new Futex(attach(buffer, Kind.Condition)), lock);
    return cond;
  }

  acquire(opts?: WaitOptions): Promise<boolean> {
    return this._lock.acquire(opts);
  }
  acquireSync(opts?: WaitOptions): boolean {
    return this._lock.acquireSync(opts);
  }
  tryAcquire(): boolean {
    return this._lock.tryAcquire();
  }
  release(): void {
    this._lock.release();
  }
  locked(): boolean {
    return this._lock.locked();
  }
  hold(opts?: WaitOptions): Promise<Guard> {
    return this._lock.hold(opts);
  }
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return this._lock.run(fn, opts);
  }

  /**
   * Lets go of the lock, waits to be notified, takes the lock back; resolves true if notified, false on
   * timeout. RuntimeError if the lock is not held. Cancel-safe: on abort it takes the lock back, then
   * rejects with `signal.reason`; a notify that came first is kept (it resolves true).
   * If the lock's owner died while this waiter waited to take it back, it still takes it back (an RLock at
   * its depth) and rejects with OwnerDiedError instead: repair the state, then treat it as a wake-up.
   */
  async wait(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const lock: ConditionLock = this._lock;
    if (!lock._isOwned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const deadline = now() + ms;
    const signal = opts?.signal;
    const depth = lock._depth();
    const seq = Atomics.load(this._core.i32, ROOM);
    const cell = this._core.enter(TICKET, ME, depth); // the ticket, taken while the lock is still held
    if (cell === FULL) {
      lock._releaseSave();
      let room: number;
      try {
        room = await this._core.roomAsync(seq, deadline, signal);
      } finally {
        await lock._acquireRestore(depth);
      }
      return room !== 0; // a spurious wake-up: see the class comment
    }
    this.releaseOrWithdraw(cell);
    let got: number;
    try {
      got = await this._core.parkAsync(cell, deadline, signal);
    } catch (reason) {
      await lock._acquireRestore(depth);
      throw reason;
    }
    if (got >= HEADER) {
      const handed = await this._lock._core.parkAsync(got, Number.POSITIVE_INFINITY);
      if (handed < 0) throw this._lock.died(-handed);
    } else if (got !== OWNED) await lock._acquireRestore(depth);
    return got !== 0;
  }

  /** The blocking twin of `wait`; throws OwnerDiedError (holding the lock) where `wait` rejects. */
  waitSync(opts?: WaitOptions): boolean {
    const ms = admitSync(opts);
    const lock: ConditionLock = this._lock;
    if (!lock._isOwned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const deadline = now() + ms;
    const depth = lock._depth();
    const seq = Atomics.load(this._core.i32, ROOM);
    const cell = this._core.enter(TICKET, ME, depth);
    if (cell === FULL) {
      lock._releaseSave();
      let room: boolean;
      try {
        room = this._core.roomSync(seq, deadline);
      } finally {
        lock._acquireRestoreSync(depth);
      }
      return room;
    }
    this.releaseOrWithdraw(cell);
    const got = this._core.parkSync(cell, deadline);
    if (got >= HEADER) {
      const handed = this._lock._core.parkSync(got, Number.POSITIVE_INFINITY);
      if (handed < 0) throw this._lock.died(-handed);
    } else if (got !== OWNED) lock._acquireRestoreSync(depth);
    return got !== 0;
  }

  /**
   * Lets go of the lock after queueing the ticket `cell`. If that throws (a plain Lock that another thread
   * released in between: misuse), the ticket leaves the FIFO before the error propagates, so no later notify
   * is spent on it; a notify that reached it in that instant is undone with it (whatever it had already
   * handed this waiter, the lock or a place in the lock's FIFO, is given back).
   */
  private releaseOrWithdraw(cell: number): void {
    const lock: ConditionLock = this._lock;
    try {
      lock._releaseSave();
    } catch (error) {
      const got = this._core.leave(cell);
      if (got >= HEADER) {
        if (this._lock._core.leave(got) !== 0) lock._releaseSave();
      } else if (got === OWNED) lock._releaseSave();
      throw error;
    }
  }

  /**
   * Waits until `predicate()` is truthy and resolves its last value; with a timeout, the last (falsy) value
   * once the deadline passes. A predicate already truthy resolves at once.
   */
  async waitFor<T>(predicate: () => T, opts?: WaitOptions): Promise<T> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    let result = predicate();
    if (result) return result;
    const deadline = now() + ms; // absolute, so wake-ups that find the predicate false do not extend it
    for (;;) {
      await this.wait({ timeout: Math.max(deadline - now(), 0), signal: opts?.signal });
      result = predicate();
      if (result || now() >= deadline) return result;
    }
  }

  /** The blocking twin of `waitFor`. */
  waitForSync<T>(predicate: () => T, opts?: WaitOptions): T {
    const ms = admitSync(opts);
    let result = predicate();
    if (result) return result;
    const deadline = now() + ms;
    for (;;) {
      this.waitSync({ timeout: Math.max(deadline - now(), 0) });
      result = predicate();
      if (result || now() >= deadline) return result;
    }
  }

  /**
   * Wakes exactly min(n, waiting) waiters, longest first, on any thread, moving each onto the lock's FIFO:
   * they take the lock in that order once it is released. RuntimeError if the lock is not held.
   */
  notify(n = 1): void {
    checkCount(n, "n", 0);
    this.wake(n);
  }

  notifyAll(): void {
    this.wake(Number.POSITIVE_INFINITY);
  }

  private wake(n: number): void {
    if (!this._lock._isOwned()) throw new RuntimeError("cannot notify on un-acquired lock");
    const core = this._core;
    if (n === 0 || (Atomics.load(core.i32, STATE) & QUEUED) === 0) return; // nobody waits: no guard, no notify
    const heir = this.heir;
    const lockCore = this._lock._core;
    core.lock(); // then the lock's guard inside enterOrFail: always in this order
    // Waiters that died are skipped: a notify wakes live ones, and no dead thread is made the lock's owner.
    for (let cell = core.shift(); cell >= 0; cell = --n > 0 ? core.shift() : -1) {
      heir.owner = core.owner(cell);
      const moved = lockCore.enterOrFail(heir, heir.owner, core.value(cell));
      core.grant(cell, moved === TAKEN ? OWNED : moved === FULL ? REACQUIRE : moved);
    }
    core.settleQueued();
    core.unlock();
  }
}

function init(cond: Condition, core: Futex, lock: Lock | RLock): void {
  (cond as { _core: Futex })._core = core;
  (cond as { _lock: Lock | RLock })._lock = lock;
  (cond as unknown as { heir: Heir }).heir = new Heir(lock);
}
