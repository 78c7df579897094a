import { RuntimeError } from "../api/errors.ts";
import type { Awaitable, Guard, WaitOptions } from "../api/options.ts";
import type { Condition as ConditionApi } from "../api/primitives.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { probe } from "../internal/probe.ts";
import { waitFor } from "../internal/wait-for.ts";
import { admitSync } from "./admit.ts";
import { FINISH, FULL, Futex, TAKEN, type Taker, type WordWait } from "./futex.ts";
import {
  allocate,
  attach,
  COND_HORIZON,
  COND_PENDING,
  COND_SEQ,
  COND_TICKET,
  HEADER,
  Kind,
  NONE,
  OVERFLOW,
  QUEUED,
  STATE,
} from "./layout.ts";
import { Lock } from "./lock.ts";
import type { ConditionLock } from "./lock-like.ts";
import { RLock } from "./rlock.ts";
import { ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";

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

/**
 * Takes a lock on behalf of a notified waiter (its owner word and depth), not of the notifying thread. Only
 * when the lock is free, which a notifier holding an RLock never finds: so `took` never writes an RLock's
 * depth for a thread that is already its owner (the depth is the owner's plain word: see ./rlock.ts).
 */
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
 * default) a new RLock. Ownership is the lock's: an RLock is owned by the thread, so async tasks of one
 * thread do not exclude one another through the default lock, and a wait lets go of (and takes back) the
 * levels every task of the thread holds; a task that then notifies holds nothing and gets RuntimeError. For
 * tasks of one thread, pass a `new Lock()` (or use the local tier). See RLock for what such misuse still
 * guarantees (nothing stays locked). `notify(n)` wakes exactly min(n, waiting) waiters, longest first, on any thread; a
 * notify before anyone waits is lost. A waiter takes its ticket (a cell in the FIFO) before it lets go of
 * the lock, so a notify made by the next holder cannot miss it. A notify moves the waiter onto the lock's
 * FIFO, so it is handed the lock (an RLock at its old depth) in turn; on timeout and abort it takes the lock
 * back itself. Either way it holds the lock again before `wait` settles.
 *
 * Beyond CAPACITY (see ./layout.ts) waiters at once, counts stay exact but the order is no longer strict
 * FIFO: a waiter that finds no free cell (or finds waiters without a cell already there) counts itself among
 * the waiters without a cell (OVERFLOW) while it still holds the lock, and sleeps on COND_SEQ. `notify(n)`
 * wakes the queued cells first (they all came before any waiter without a cell), then owes the rest to
 * waiters without a cell (COND_PENDING, at most one each), and each of those takes one owed notify under
 * GUARD; among them the order is unspecified. Each waiter without a cell has a number (COND_TICKET), and a
 * notify that owes records how far they had got (COND_HORIZON): only a waiter that came before it may take
 * one, so a wait that begins after a notify cannot take what it owed to an earlier waiter. A timeout or an
 * abort takes an owed notify if one is there (it came first: true), else leaves. So `wait` returns true only when notified, and `notify(n)` wakes
 * exactly min(n, waiting) waiters, with or without cells. A waiter without a cell is not moved onto the
 * lock's FIFO: it takes the lock back itself (an RLock at its depth). Not covered: a thread that dies while
 * it waits without a cell stays counted, so one notify may be owed to it and lost.
 */
export class Condition implements ConditionApi {
  /** @internal */
  declare readonly _core: Futex;
  /** @internal The lock, shared with every thread that has this Condition. */
  declare readonly _lock: Lock | RLock;
  declare private readonly heir: Heir;
  /** The number the last `ticket()` that returned FULL gave this waiter (read at once by its caller). */
  private overflowed = 0;

  constructor(lock?: Lock | RLock) {
    if (lock !== undefined && !(lock instanceof Lock || lock instanceof RLock)) {
      throw new TypeError("Condition takes a threadkit/threads Lock or RLock");
    }
    init(this, new Futex(allocate(Kind.Condition), undefined, FINISH), lock ?? new RLock());
  }

  /** @internal A live Condition over a received buffer and its live lock (see ./handle.ts). */
  static _attach(buffer: SharedArrayBuffer, lock: Lock | RLock): Condition {
    const cond = Object.create(Condition.prototype) as Condition;
    init(cond, new Futex(attach(buffer, Kind.Condition), undefined, FINISH), lock);
    return cond;
  }

  /**
   * Acquires the underlying lock: as its `acquire`.
   * Cancel-safe, as the lock's: on abort nothing is held.
   * @example
   * ```ts
   * await cond.acquire();
   * ready[0] = 1; cond.notifyAll(); cond.release();
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    return this._lock.acquire(opts);
  }
  /**
   * Acquires the underlying lock, blocking: as its `acquireSync`.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * cond.acquireSync();
   * ready[0] = 1; cond.notifyAll(); cond.release();
   * ```
   */
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
  /**
   * Holds the underlying lock: as its `hold`.
   * Cancel-safe, as the lock's: on abort nothing is held.
   * @example
   * ```ts
   * using _held = await cond.hold();
   * cond.notify();
   * ```
   */
  hold(opts?: WaitOptions): Promise<Guard> {
    return this._lock.hold(opts);
  }
  /**
   * Runs `fn` holding the underlying lock: as its `run`.
   * Cancel-safe, as the lock's: on abort `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await cond.run(() => cond.notifyAll());
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return this._lock.run(fn, opts);
  }

  /**
   * Lets go of the lock, waits to be notified, takes the lock back; resolves true if notified, false on
   * timeout. RuntimeError if the lock is not held. Cancel-safe: on abort it takes the lock back, then
   * rejects with `signal.reason`; a notify that came first is kept (it resolves true).
   * If the lock's owner died while this waiter waited to take it back, it still takes it back (an RLock at
   * its depth) and rejects with OwnerDiedError instead: repair the state, then treat it as a wake-up.
   * @example
   * ```ts
   * using _held = await cond.hold();
   * while (ready[0] === 0) await cond.wait();
   * ```
   */
  async wait(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this) return callAsync(this, "wait", opts, this.wait, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const lock: ConditionLock = this._lock;
    if (!lock._isOwned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const deadline = now() + ms;
    const signal = opts?.signal;
    const depth = lock._depth();
    const cell = this.ticket(depth); // taken while the lock is still held
    if (cell === FULL) {
      const number = this.overflowed;
      this.releaseOrLeave(number);
      let notified: boolean;
      try {
        notified = await this.overflowAsync(number, deadline, signal);
      } finally {
        await this.restore(depth);
      }
      return notified;
    }
    this.releaseOrWithdraw(cell);
    let got: number;
    try {
      got = await this._core.parkAsync(cell, deadline, signal);
    } catch (reason) {
      await this.restore(depth);
      throw reason;
    }
    if (got >= HEADER) {
      const handed = await this._lock._core.parkAsync(got, Number.POSITIVE_INFINITY);
      lock._restored(depth);
      if (handed < 0) throw this._lock.died(-handed);
    } else if (got === OWNED) lock._restored(depth);
    else await this.restore(depth);
    return got !== 0;
  }

  /**
   * The blocking twin of `wait`; throws OwnerDiedError (holding the lock) where `wait` rejects.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * cond.acquireSync();
   * while (ready[0] === 0) cond.waitSync();
   * cond.release();
   * ```
   */
  waitSync(opts?: WaitOptions): boolean {
    if (probe.on && probe.self !== this) return callSync(this, "wait", opts, this.waitSync, opts);
    const ms = admitSync(opts);
    const lock: ConditionLock = this._lock;
    if (!lock._isOwned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const deadline = now() + ms;
    const depth = lock._depth();
    const cell = this.ticket(depth);
    if (cell === FULL) {
      const number = this.overflowed;
      this.releaseOrLeave(number);
      let notified: boolean;
      try {
        notified = this.overflowSync(number, deadline);
      } finally {
        this.restoreSync(depth);
      }
      return notified;
    }
    this.releaseOrWithdraw(cell);
    let got: number;
    try {
      got = this._core.parkSync(cell, deadline);
    } catch (error) {
      this.restoreSync(depth); // a DeadlockError: it left the FIFO, and holds the lock again
      throw error;
    }
    if (got >= HEADER) {
      const handed = this._lock._core.parkSync(got, Number.POSITIVE_INFINITY);
      lock._restored(depth);
      if (handed < 0) throw this._lock.died(-handed);
    } else if (got === OWNED) lock._restored(depth);
    else this.restoreSync(depth);
    return got !== 0;
  }

  /** Takes the lock back itself at `depth` (OwnerDiedError, if any, holding it). */
  private async restore(depth: number): Promise<void> {
    const lock: ConditionLock = this._lock;
    try {
      await lock._acquireRestore(depth);
    } finally {
      lock._restored(depth);
    }
  }

  private restoreSync(depth: number): void {
    const lock: ConditionLock = this._lock;
    try {
      lock._acquireRestoreSync(depth);
    } finally {
      lock._restored(depth);
    }
  }

  // ---- waiters without a cell (beyond CAPACITY: see the class comment) -----------------------------------

  /**
   * Queues this waiter's ticket (the lock held), or, if no cell is free or waiters without a cell are
   * already counted (they came first: a freed cell must not let a newcomer pass them), counts it among
   * them (OVERFLOW, under GUARD, while it still holds the lock, so any notify after it lets go sees it)
   * and returns FULL.
   */
  private ticket(depth: number): number {
    const core = this._core;
    const i32 = core.i32;
    if (Atomics.load(i32, OVERFLOW) === 0) {
      const cell = core.enterOrFail(TICKET, ME, depth);
      if (cell !== FULL) return cell;
    }
    core.lock();
    Atomics.add(i32, OVERFLOW, 1);
    this.overflowed = Atomics.add(i32, COND_TICKET, 1);
    core.unlock();
    return FULL;
  }

  /**
   * Under GUARD: takes one owed notify if there is one this waiter (number `number`) came before (true),
   * or, if `leave`, stops being counted without one (false); null if neither (keep waiting; `seq.word` then
   * holds COND_SEQ as read under GUARD).
   */
  private settleOverflow(number: number, leave: boolean, seq: { word: number }): boolean | null {
    const core = this._core;
    const i32 = core.i32;
    core.lock();
    let outcome: boolean | null = null;
    if (Atomics.load(i32, COND_PENDING) > 0 && ((number - Atomics.load(i32, COND_HORIZON)) | 0) < 0) {
      Atomics.sub(i32, COND_PENDING, 1);
      Atomics.sub(i32, OVERFLOW, 1);
      outcome = true;
    } else if (leave) {
      Atomics.sub(i32, OVERFLOW, 1);
      outcome = false;
    } else seq.word = Atomics.load(i32, COND_SEQ);
    core.unlock();
    return outcome;
  }

  /**
   * A waiter without a cell, on COND_SEQ: an owed notify (true) or its deadline (false); on abort it stops
   * being counted, unless a notify was owed to it first (then it keeps it: true).
   */
  private overflowWait(number: number): WordWait<boolean> {
    const w: WordWait<boolean> = {
      word: 0,
      look: (late) => this.settleOverflow(number, late, w) ?? undefined,
      abort: () => this.settleOverflow(number, true, w) || undefined,
    };
    return w;
  }

  /** A waiter without a cell waits, blocking, for an owed notify (true) or its deadline (false). */
  private overflowSync(number: number, deadline: number): boolean {
    return this._core.parkWordSync(COND_SEQ, this.overflowWait(number), deadline);
  }

  /** The async twin of overflowSync; an abort rejects with `signal.reason` (see overflowWait). */
  private overflowAsync(number: number, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    return this._core.parkWordAsync(COND_SEQ, this.overflowWait(number), deadline, signal);
  }

  /** `_releaseSave` for a waiter without a cell: if it throws (misuse race), the waiter is uncounted first. */
  private releaseOrLeave(number: number): void {
    try {
      this._lock._releaseSave();
    } catch (error) {
      this.settleOverflow(number, true, { word: 0 });
      throw error;
    }
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
      // Only a plain Lock gets here (an RLock's _releaseSave cannot fail after wait's check), so giving
      // the lock back lends nothing.
      const got = this._core.leave(cell);
      if (got >= HEADER) {
        if (this._lock._core.leave(got) !== 0) lock._releaseSave();
      } else if (got === OWNED) lock._releaseSave();
      throw error;
    }
  }

  /**
   * Waits until `predicate()` is truthy and resolves its last value; with a timeout, the last (falsy) value
   * once the deadline passes. A predicate already truthy resolves at once. A predicate that returns a
   * promise is awaited (holding the lock).
   * Cancel-safe as `wait`: on abort it takes the lock back, then rejects with `signal.reason`.
   * @example
   * ```ts
   * using _held = await cond.hold();
   * const ok = await cond.waitFor(() => ready[0] === 1, { timeout: 1000 });
   * ```
   */
  waitFor<T>(predicate: () => Awaitable<T>, opts?: WaitOptions): Promise<T> {
    return waitFor(this, predicate, opts);
  }

  /**
   * The blocking twin of `waitFor`.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * cond.acquireSync();
   * cond.waitForSync(() => ready[0] === 1);
   * cond.release();
   * ```
   */
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
    if (probe.on) pointOf(this, "notify", n);
    checkCount(n, "n", 0);
    this.wake(n);
  }

  notifyAll(): void {
    if (probe.on) pointOf(this, "notify", Number.POSITIVE_INFINITY);
    this.wake(Number.POSITIVE_INFINITY);
  }

  private wake(n: number): void {
    if (!this._lock._isOwned()) throw new RuntimeError("cannot notify on un-acquired lock");
    const core = this._core;
    const i32 = core.i32;
    // Nobody waits: no guard, no notify. (A waiter counts itself, cell or not, while it holds the lock, and so
    // does this notifier: one that let go before this notify is seen here.)
    if (n === 0 || ((Atomics.load(i32, STATE) & QUEUED) === 0 && Atomics.load(i32, OVERFLOW) === 0)) return;
    const heir = this.heir;
    const lockCore = this._lock._core;
    core.lock(); // then the lock's guard inside enterOrFail: always in this order
    // Waiters that died are skipped (core.shift): a notify wakes live ones, and no dead thread is made the
    // lock's owner.
    let left = n;
    for (; left > 0; left--) {
      const cell = core.shift();
      if (cell === NONE) break;
      heir.owner = core.owner(cell);
      const moved = lockCore.enterOrFail(heir, heir.owner, core.value(cell));
      core.grant(cell, moved === TAKEN ? OWNED : moved === FULL ? REACQUIRE : moved);
    }
    core.settleQueued();
    if (left > 0) {
      // The rest is owed to waiters without a cell that are not owed one yet; each takes one under GUARD.
      const owed = Math.min(left, Atomics.load(i32, OVERFLOW) - Atomics.load(i32, COND_PENDING));
      if (owed > 0) {
        Atomics.add(i32, COND_PENDING, owed);
        Atomics.store(i32, COND_HORIZON, Atomics.load(i32, COND_TICKET)); // owed to those before this notify
        Atomics.add(i32, COND_SEQ, 1);
        Atomics.notify(i32, COND_SEQ);
      }
    }
    core.unlock();
  }
}

function init(cond: Condition, core: Futex, lock: Lock | RLock): void {
  (cond as { _core: Futex })._core = core;
  (cond as { _lock: Lock | RLock })._lock = lock;
  (cond as unknown as { heir: Heir }).heir = new Heir(lock);
}
