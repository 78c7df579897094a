import { BrokenBarrierError } from "../api/errors.ts";
import type { BarrierOptions, WaitOptions } from "../api/options.ts";
import type { Barrier as BarrierApi } from "../api/primitives.ts";
import { admit, checkCount, waitTime } from "../internal/checks.ts";
import { arm, disarm, now, type Timed } from "../internal/deadline.ts";
import { probe } from "../internal/probe.ts";
import { admitSync } from "./admit.ts";
import { claim, deposit } from "./exchange.ts";
import { FULL, Futex, type Orphans, type Taker, type WordWait } from "./futex.ts";
import {
  allocate,
  attach,
  BARRIER_ERROR,
  BARRIER_HOME,
  BARRIER_OUT,
  BARRIER_PARTIES,
  BARRIER_PARTY,
  BARRIER_ROUND,
  BARRIER_RUNNER,
  BARRIER_TIMEOUT,
  CAPACITY,
  CAPACITY_WORD,
  CELL,
  HEADER,
  Kind,
  ROOM,
  STATE,
} from "./layout.ts";
import { deaths, isDead } from "./liveness.ts";
import { keepAlive, letGo, ME } from "./runtime.ts";
import { callAsync, callSync, pointOf } from "./trace.ts";
import { rebuild, type WireError, wireError } from "./wire-error.ts";

/*
 * How the barrier lives in its buffer.
 *
 * Every arrival takes a ticket (a cell of the core's FIFO) first, and only then, under GUARD, looks at the
 * phase: so the round is decided in one place, in arrival order, whoever is last. A round completes when
 * `parties` tickets are queued while filling; whoever sees that (the last arrival, or the party that ends a
 * drain) grants the first `parties` tickets their indices 0..parties-1 in FIFO order. A ticket that leaves
 * (abort) is unlinked by the core and leaves no gap. A ticket whose timeout passes breaks the barrier by
 * granting every queued ticket (its own too) BROKEN, under GUARD: there is no moment where it has left but
 * not yet broken the barrier.
 *
 * Without an action a completed round is over at once (each party is granted its index). With one, the
 * parties are granted PENDING (their timeouts and signals no longer apply) and the barrier drains: ROUND says
 * whether the action is still pending and whether the round broke; OUT counts the parties that have not yet
 * read ROUND. Newcomers queue meanwhile (their tickets become the next round in order); the drain ends, as in
 * Python, when the last party has read the outcome, so ROUND is never rewritten under a party that has not.
 *
 * STATE: the phase (FILLING, DRAINING, BROKEN), HAS_ACTION, and the core's QUEUED bit. Every write of STATE
 * and of OUT happens under GUARD.
 *
 * A thread can die during a drain (see ./liveness.ts). The drain words after the cells (./layout.ts) name the
 * thread of each party that has yet to take the outcome, and the thread that runs the action (the home thread
 * for a REQUEST). Whoever waits during a drain (the round's parties for the outcome, newcomers on their
 * tickets) wakes every SLICE and, once a death was recorded, `recover`s: a party whose thread died is counted
 * out as if it had taken the outcome, and a round whose runner died before the outcome fails as if its action
 * had thrown (the barrier breaks; every party of the round gets BrokenBarrierError).
 */
const PHASE = 3;
const FILLING = 0;
const DRAINING = 1;
const BROKEN = 2;
const HAS_ACTION = 4;

/** ROUND bits. */
const PENDING = 1; // the action has not finished
const REQUEST = 2; // no party of the round has the action: the constructing thread's listener runs it
const SPOILED = 4; // the round is broken (the action failed, or abort() came before it finished)
const FAILED = 8; // ... by an error that waits for the last arrival under the ticket at BARRIER_ERROR

/** BARRIER_HOME once the home object was collected: no round can run the action any more. */
const HOME_GONE = -1;

/** What a ticket brings: this party's Barrier object is the one with the action. */
const HOME = 1;

/** Grant values (never 0): the index + 1 in the low bits, and flags. */
const INDEX = (1 << 28) - 1;
const G_PENDING = 1 << 28; // the round completed; its outcome waits for the action
const G_RUN = 1 << 29; // ... and this party runs the action
const G_BROKEN = 1 << 30; // the barrier broke (abort, reset, a timeout) before this party's round completed

/** The most parties a barrier takes: the FIFO keeps a cell for each (and an index fits a grant). */
export const MAX_PARTIES = 1 << 16;

/** A ticket never takes without queueing. */
const TICKET: Taker = { take: () => -1, took() {} };

interface Outcome {
  failed: boolean;
  error?: unknown;
}

/**
 * A cyclic barrier shared by the main thread and any number of worker threads, as Python's
 * `threading.Barrier`: `wait()` resolves each party's arrival index 0..parties-1 once `parties` have arrived.
 * Phases are Python's: filling, draining (an action's round is passing: newcomers queue for the next round),
 * broken (until `reset()`); resetting is not needed, since a reset fails the waiting parties in one step.
 *
 * - Indices are handed out in arrival order (the order of the shared FIFO) among the parties still there,
 *   so a party whose wait is aborted leaves as if it never came and the indices stay exactly 0..parties-1.
 *   A party whose thread died while it waited (terminated, `process.exit()`, an uncaught error) has left the
 *   same way: it is not counted in `nWaiting` nor toward a round, which waits for a live party instead.
 * - A party whose timeout passes before its round completes breaks the barrier for everyone (as threading);
 *   a round that has already completed is not affected. A timeout counts from the call, including any time
 *   spent waiting for the previous round to drain.
 * - The default timeout (`options.timeout`) is stored in shared memory: it holds on every thread.
 *
 * **The action across threads.** A function cannot cross threads, so the action stays with the Barrier
 * object it was given to (the "home" object; a Barrier made by `fromHandle()` has none) and always runs on
 * the home object's thread, exactly once per round, after the last party arrives and before any party
 * passes. Who runs it:
 * 1. the last arrival, if it waits on the home object (Python's rule);
 * 2. else the longest-waiting party of the round that waits on the home object;
 * 3. else (no party of the round is on the home object) the home thread's event loop, which listens for it.
 *
 * If the action throws or rejects, the barrier is broken, the round's last arrival gets that error and
 * every other party BrokenBarrierError (Python's rule), whichever thread ran it: an error that crosses to a
 * last arrival on another thread is rebuilt there (./wire-error.ts: its class, message, stack and `code`).
 * An async action is awaited; in a blocking `waitSync()` it cannot be, so an action that returns a promise
 * there counts as failed with a TypeError (use `wait()` on the home thread for async actions).
 *
 * Rule 3 needs the home thread's event loop: while a round's action is requested, the home thread must not
 * be blocked (in `waitSync` on another primitive, say), or the round waits for it. The listener is an
 * Atomics.waitAsync on the buffer; it does not keep the process alive, nor the home object: once that is
 * collected, the listener ends and a round that needs the action breaks (BrokenBarrierError for every party).
 * If the thread running a round's action dies first (the home thread, or the party of rule 1 or 2), the round
 * fails as if the action had thrown: every party gets BrokenBarrierError and the barrier is broken.
 */
export class Barrier implements BarrierApi, Orphans {
  /** @internal */
  declare readonly _core: Futex;
  /** Where the drain words start (after the cells). */
  declare private readonly drain: number;
  declare private readonly action: (() => unknown) | undefined;
  declare private readonly timeout: number;
  declare private readonly brand: "Barrier";

  constructor(parties: number, options: BarrierOptions = {}) {
    checkCount(parties, "parties", 1);
    if (parties > MAX_PARTIES) throw new RangeError(`parties must be <= ${MAX_PARTIES}`);
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { action, timeout } = options;
    if (action !== undefined && typeof action !== "function")
      throw new TypeError("action must be a function");
    const ms = waitTime({ timeout });
    const i32 = allocate(Kind.Barrier, Math.max(CAPACITY, parties));
    i32[BARRIER_PARTIES] = parties;
    i32[STATE] = action === undefined ? FILLING : HAS_ACTION;
    new Float64Array(i32.buffer)[BARRIER_TIMEOUT] = ms;
    init(this, new Futex(i32, this), action);
    if (action !== undefined) {
      i32[this.drain + BARRIER_HOME] = ME;
      homes.register(this, i32);
      listen(new WeakRef(this), i32);
    }
  }

  /** @internal A live Barrier over a received buffer, without the action (see the class comment). */
  static _attach(buffer: SharedArrayBuffer): Barrier {
    const barrier = Object.create(Barrier.prototype) as Barrier;
    init(barrier, new Futex(attach(buffer, Kind.Barrier), barrier), undefined);
    return barrier;
  }

  get parties(): number {
    return this._core.i32[BARRIER_PARTIES] as number;
  }

  /**
   * Parties waiting in the current round (0 unless filling, as Python). A party whose thread died is not
   * counted: it left (see `wait`).
   */
  get nWaiting(): number {
    const core = this._core;
    if (this.phase() !== FILLING) return 0;
    if (deaths() === 0) return core.size;
    core.lock();
    const live = core.purge();
    core.unlock();
    return live;
  }

  get broken(): boolean {
    return this.phase() === BROKEN;
  }

  /**
   * Waits for all parties and resolves this party's arrival index (0..parties-1); the action runs first
   * (see the class comment). BrokenBarrierError if the barrier is or becomes broken. `timeout` defaults to
   * the barrier's; running out breaks the barrier.
   * Cancel-safe: on abort it rejects with `signal.reason` and the party leaves as if it never came (unless its
   * round had already completed: then the abort is too late and the wait settles as the round does).
   * @example
   * ```ts
   * const i = await barrier.wait(); // 0..parties-1: the order of arrival
   * ```
   */
  async wait(opts?: WaitOptions): Promise<number> {
    if (probe.on && probe.self !== this) return callAsync(this, "wait", opts, this.wait, opts);
    const ms = admit(opts, this.timeout);
    if (typeof ms !== "number") return ms;
    const signal = opts?.signal;
    const deadline = now() + ms;
    const core = this._core;
    for (;;) {
      if (this.phase() === BROKEN) throw new BrokenBarrierError();
      const seq = Atomics.load(core.i32, ROOM);
      const cell = core.enter(TICKET, ME, this.brings());
      if (cell === FULL) {
        if ((await core.roomAsync(seq, deadline, signal)) === 0) this.timedOut();
        continue;
      }
      const early = this.decide(cell, ms);
      if (early !== 0) return this.passAsync(early);
      return this.passAsync(await this.parkAsync(cell, deadline, signal));
    }
  }

  /**
   * The blocking twin of `wait` (Atomics.wait). A signal is only checked on entry (a blocked thread cannot
   * see it abort); use a timeout. Cancel-safe in the same sense as `wait`.
   * @example
   * ```ts
   * barrier.waitSync({ timeout: 5000 }); // in a worker
   * ```
   */
  waitSync(opts?: WaitOptions): number {
    if (probe.on && probe.self !== this) return callSync(this, "wait", opts, this.waitSync, opts);
    const ms = admitSync(opts, this.timeout);
    const deadline = now() + ms;
    const core = this._core;
    for (;;) {
      if (this.phase() === BROKEN) throw new BrokenBarrierError();
      const seq = Atomics.load(core.i32, ROOM);
      const cell = core.enter(TICKET, ME, this.brings());
      if (cell === FULL) {
        if (!core.roomSync(seq, deadline)) this.timedOut();
        continue;
      }
      const early = this.decide(cell, ms);
      return this.passSync(early !== 0 ? early : this.parkSync(cell, deadline));
    }
  }

  /**
   * Breaks the parties waiting now (BrokenBarrierError) and makes the barrier usable again. A round that is
   * draining is left alone (as Python); after an abort() during a drain, newcomers wait for the drain to end.
   */
  reset(): void {
    if (probe.on) pointOf(this, "reset");
    const core = this._core;
    core.lock();
    const s = Atomics.load(core.i32, STATE);
    if ((s & PHASE) !== DRAINING) {
      this.grantAll(G_BROKEN);
      this.setPhase(Atomics.load(core.i32, BARRIER_OUT) > 0 ? DRAINING : FILLING);
    }
    core.unlock();
  }

  /**
   * Breaks the barrier: waiting parties and later waits get BrokenBarrierError until `reset()`. A round whose
   * action has not finished is broken too: its parties get BrokenBarrierError once the action ends.
   */
  abort(): void {
    if (probe.on) pointOf(this, "broken");
    const core = this._core;
    const i32 = core.i32;
    core.lock();
    this.setPhase(BROKEN);
    if ((Atomics.load(i32, BARRIER_ROUND) & PENDING) !== 0) Atomics.or(i32, BARRIER_ROUND, SPOILED);
    this.grantAll(G_BROKEN);
    core.unlock();
  }

  // ---- arrival ------------------------------------------------------------------------------------------

  private phase(): number {
    return Atomics.load(this._core.i32, STATE) & PHASE;
  }

  private brings(): number {
    return this.action === undefined ? 0 : HOME;
  }

  /**
   * Right after queueing a ticket: completes the round if it is the last one, leaves at once if the barrier
   * is broken or the call may not wait. Returns a grant if the wait is already decided, else 0.
   */
  private decide(cell: number, ms: number): number {
    const core = this._core;
    const i32 = core.i32;
    core.lock();
    const phase = Atomics.load(i32, STATE) & PHASE;
    if (phase === FILLING) this.complete();
    if (core.granted(cell)) {
      core.unlock();
      return core.collect(cell);
    }
    if (phase === BROKEN) {
      core.unlock();
      return core.leave(cell) || G_BROKEN;
    }
    core.unlock();
    if (ms !== 0) return 0;
    this.spoil(cell);
    return core.collect(cell);
  }

  /**
   * A timeout: if `cell` (NONE: a caller that never got a cell) still waits, breaks the barrier for every
   * queued party, itself included (its cell is granted G_BROKEN). If the cell was granted first, nothing.
   */
  private spoil(cell: number): void {
    const core = this._core;
    core.lock();
    if (cell < 0 || !core.granted(cell)) {
      this.setPhase(BROKEN);
      this.grantAll(G_BROKEN);
    }
    core.unlock();
  }

  /** A caller that timed out before it could queue (all cells taken): breaks the barrier. */
  private timedOut(): never {
    this.spoil(-1);
    throw new BrokenBarrierError();
  }

  /** Parks on a ticket, blocking, until granted; the timeout breaks the barrier (under GUARD). */
  private parkSync(cell: number, deadline: number): number {
    const core = this._core;
    return core.parkSync(cell, deadline, (late) => {
      this.spoil(late);
      return core.collect(late);
    });
  }

  /**
   * Parks on a ticket without blocking: the core handles the signal (leave as if never came, unless granted
   * first); a timer of ours handles the timeout, so that a timed-out party breaks the barrier under GUARD.
   */
  private async parkAsync(cell: number, deadline: number, signal: AbortSignal | undefined): Promise<number> {
    const park = this._core.parkAsync(cell, Number.POSITIVE_INFINITY, signal);
    if (deadline === Number.POSITIVE_INFINITY) return park;
    const timer: Timed & { live: boolean } = { deadline, timer: undefined, live: true };
    // Settling runs before any timer can fire (microtasks first), so a fired timer's cell is still ours.
    arm(timer, (t) => {
      if (t.live) this.spoil(cell); // the core's wait then collects the grant
    });
    try {
      return await park;
    } finally {
      timer.live = false;
      disarm(timer);
    }
  }

  // ---- rounds (GUARD held) ------------------------------------------------------------------------------

  private setPhase(phase: number): void {
    const i32 = this._core.i32;
    Atomics.store(i32, STATE, (Atomics.load(i32, STATE) & ~PHASE) | phase);
  }

  private grantAll(value: number): void {
    this._core.grantAll(value);
  }

  /**
   * If `parties` live tickets are queued, the first `parties` form a round: each is granted its index (and,
   * with an action, PENDING). A party whose thread died is purged first, as a party that left: it never
   * came, and the round waits for a live one in its place.
   */
  private complete(): void {
    const core = this._core;
    const i32 = core.i32;
    const parties = i32[BARRIER_PARTIES] as number;
    const cells = core.shiftRound(parties);
    if (cells === null) return;
    core.settleQueued();
    if ((Atomics.load(i32, STATE) & HAS_ACTION) === 0) {
      for (let i = 0; i < parties; i++) core.grant(cells[i]!, i + 1);
      return;
    }
    let runner = -1;
    for (let i = 0; i < parties; i++) {
      if (core.value(cells[i]!) === HOME && (runner < 0 || i === parties - 1)) runner = i;
    }
    this.setPhase(DRAINING);
    const drain = this.drain;
    for (let i = 0; i < parties; i++) Atomics.store(i32, drain + BARRIER_PARTY + i, core.owner(cells[i]!));
    const home = Atomics.load(i32, drain + BARRIER_HOME);
    if (runner < 0 && home === HOME_GONE) {
      // Nobody can run the action: the round breaks, as if it had thrown where no party could catch it.
      this.setPhase(BROKEN);
      for (let i = 0; i < parties; i++) core.grant(cells[i]!, G_BROKEN);
      this.grantAll(G_BROKEN);
      return;
    }
    Atomics.store(i32, drain + BARRIER_RUNNER, runner < 0 ? home : core.owner(cells[runner]!));
    Atomics.store(i32, BARRIER_OUT, parties);
    Atomics.store(i32, BARRIER_ROUND, runner < 0 ? PENDING | REQUEST : PENDING);
    for (let i = 0; i < parties; i++) core.grant(cells[i]!, (i + 1) | G_PENDING | (i === runner ? G_RUN : 0));
    if (runner < 0) Atomics.notify(i32, BARRIER_ROUND);
  }

  // ---- passing ------------------------------------------------------------------------------------------

  private async passAsync(grant: number): Promise<number> {
    if (grant === G_BROKEN) throw new BrokenBarrierError();
    const index = (grant & INDEX) - 1;
    if ((grant & G_PENDING) === 0) return index;
    let outcome: Outcome | undefined;
    if ((grant & G_RUN) !== 0) outcome = await this.runAsync(index);
    else await this.outcomeAsync();
    return this.checkOut(index, outcome);
  }

  private passSync(grant: number): number {
    if (grant === G_BROKEN) throw new BrokenBarrierError();
    const index = (grant & INDEX) - 1;
    if ((grant & G_PENDING) === 0) return index;
    let outcome: Outcome | undefined;
    if ((grant & G_RUN) !== 0) outcome = this.runSync(index);
    else this._core.parkWordSync(BARRIER_ROUND, roundOver(this._core.i32), Number.POSITIVE_INFINITY);
    return this.checkOut(index, outcome);
  }

  /** Waits (keeping the process alive) until the round's action has finished (or its runner died). */
  private async outcomeAsync(): Promise<void> {
    await this._core.parkWordAsync(BARRIER_ROUND, roundOver(this._core.i32), Number.POSITIVE_INFINITY);
  }

  /**
   * This party has the round's outcome: the drain ends with the last one to take it. The last arrival gets
   * a failed action's error (its own, or the one another party or thread ran into), the others
   * BrokenBarrierError.
   */
  private checkOut(index: number, outcome: Outcome | undefined): number {
    const core = this._core;
    const i32 = core.i32;
    const round = Atomics.load(i32, BARRIER_ROUND);
    const last = index === (i32[BARRIER_PARTIES] as number) - 1;
    // Claimed before this party counts out: the next round's action may fail and post its own error.
    const carried = last && (round & FAILED) !== 0 ? claim(i32, this.drain + BARRIER_ERROR) : undefined;
    core.lock();
    this.out(index);
    core.unlock();
    if (last && outcome?.failed) throw outcome.error;
    if (carried !== undefined) throw carried.local ? carried.value : rebuild(carried.value as WireError);
    if ((round & SPOILED) !== 0) throw new BrokenBarrierError();
    return index;
  }

  /** GUARD held: party `index` of the draining round has taken the outcome, or died. The last ends the drain. */
  private out(index: number): void {
    const i32 = this._core.i32;
    const at = this.drain + BARRIER_PARTY + index;
    if (Atomics.load(i32, at) === 0) return; // counted out already
    Atomics.store(i32, at, 0);
    if (Atomics.sub(i32, BARRIER_OUT, 1) === 1 && (Atomics.load(i32, STATE) & PHASE) === DRAINING) {
      this.setPhase(FILLING);
      this.complete();
    }
  }

  /**
   * @internal See Orphans in ./futex.ts and the top of this file: frees the cells granted to parties whose
   * thread died, counts those parties out of a drain, and fails the round if the thread running its action
   * died before the outcome. Called after a death was recorded, by the waiters' slices.
   */
  recover(): number {
    const core = this._core;
    const i32 = core.i32;
    core.lock();
    core.freeDeadGrants(); // a round needs `parties` cells at once: none may stay with the dead
    let orphaned = false;
    if (Atomics.load(i32, BARRIER_OUT) > 0) {
      orphaned =
        (Atomics.load(i32, BARRIER_ROUND) & PENDING) !== 0 &&
        isDead(Atomics.load(i32, this.drain + BARRIER_RUNNER));
      if (orphaned) this.publish(true);
      for (let i = 0, parties = i32[BARRIER_PARTIES] as number; i < parties; i++) {
        const owner = Atomics.load(i32, this.drain + BARRIER_PARTY + i);
        if (owner !== 0 && isDead(owner)) this.out(i);
      }
    }
    core.unlock();
    if (orphaned) Atomics.notify(i32, BARRIER_ROUND);
    return 0;
  }

  /** @internal A barrier hands nothing of the dead on (no grant inherits): never called. */
  died(): Error {
    return new BrokenBarrierError();
  }

  // ---- the action ---------------------------------------------------------------------------------------

  /** Runs the action for the party of `index` (-1: the home thread's listener) and publishes its outcome. */
  private async runAsync(index: number): Promise<Outcome> {
    let outcome: Outcome;
    try {
      const action = this.action!;
      await action();
      outcome = { failed: false };
    } catch (error) {
      outcome = { failed: true, error };
    }
    this.finish(outcome, index);
    return outcome;
  }

  private runSync(index: number): Outcome {
    let outcome: Outcome;
    try {
      const action = this.action!;
      const result = action();
      if (isThenable(result)) {
        result.then(undefined, () => {}); // it runs on; its outcome can no longer reach anyone
        outcome = {
          failed: true,
          error: new TypeError("the barrier's action returned a promise, which waitSync() cannot await"),
        };
      } else outcome = { failed: false };
    } catch (error) {
      outcome = { failed: true, error };
    }
    this.finish(outcome, index);
    return outcome;
  }

  /**
   * Publishes the action's outcome; a failed action breaks the barrier (as Python's `_break`). Unless the
   * runner is the last arrival, the error goes to that party by ticket (only this round's parties read the
   * ticket's words, and only once the outcome is published, so they need no guard).
   */
  private finish(outcome: Outcome, index: number): void {
    const core = this._core;
    const i32 = core.i32;
    const carried = outcome.failed && index !== (i32[BARRIER_PARTIES] as number) - 1;
    if (carried) deposit(outcome.error, wireError(outcome.error), i32, this.drain + BARRIER_ERROR);
    core.lock();
    this.publish(outcome.failed, carried);
    core.unlock();
    Atomics.notify(i32, BARRIER_ROUND);
  }

  /** GUARD held: the outcome into ROUND (the caller notifies it after letting GUARD go). */
  private publish(failed: boolean, carried = false): void {
    const i32 = this._core.i32;
    const spoiled = failed || (Atomics.load(i32, BARRIER_ROUND) & SPOILED) !== 0;
    Atomics.store(i32, BARRIER_ROUND, spoiled ? SPOILED | (carried ? FAILED : 0) : 0);
    if (failed) {
      this.setPhase(BROKEN);
      this.grantAll(G_BROKEN);
    }
  }

  /** @internal The home thread's listener found a REQUEST (rule 3 of the class comment): runs the action. */
  _serve(): void {
    keepAlive();
    this.runAsync(-1).then(letGo);
  }

  /**
   * @internal The home object was collected: nobody can run the action any more. A round that waits for it
   * breaks, and so will every later round that needs it (see `complete`).
   */
  _homeGone(): void {
    const core = this._core;
    const i32 = core.i32;
    core.lock();
    Atomics.store(i32, this.drain + BARRIER_HOME, HOME_GONE);
    const orphaned = (Atomics.load(i32, BARRIER_ROUND) & REQUEST) !== 0;
    if (orphaned) this.publish(true);
    core.unlock();
    Atomics.notify(i32, BARRIER_ROUND);
  }
}

/** Home objects: when one is collected, its barrier learns that the action is gone (and its listener ends). */
const homes = new FinalizationRegistry<Int32Array>((i32) =>
  Barrier._attach(i32.buffer as SharedArrayBuffer)._homeGone(),
);

/**
 * The home thread's listener (rule 3 of the class comment): runs the action of a round none of whose
 * parties is on the home object. An Atomics.waitAsync that holds neither the keep-alive while idle nor the
 * home object (only a WeakRef to it), so a dropped Barrier is collected; `_homeGone` then wakes it to end.
 */
function listen(home: WeakRef<Barrier>, i32: Int32Array): void {
  const w: WordWait<true> = {
    word: 0,
    look() {
      for (;;) {
        const barrier = home.deref();
        if (barrier === undefined) return true;
        const v = Atomics.load(i32, BARRIER_ROUND);
        if ((v & REQUEST) === 0) {
          w.word = v;
          return undefined;
        }
        if (Atomics.compareExchange(i32, BARRIER_ROUND, v, v & ~REQUEST) === v) barrier._serve();
      }
    },
  };
  // A core of its own, without the barrier as its orphans: the wait must not keep the barrier alive.
  void new Futex(i32).parkWordAsync(BARRIER_ROUND, w, Number.POSITIVE_INFINITY, undefined, true);
}

/** A party's wait for its round's outcome: over once the round is no longer PENDING. */
function roundOver(i32: Int32Array): WordWait<true> {
  const w: WordWait<true> = {
    word: 0,
    look() {
      const v = Atomics.load(i32, BARRIER_ROUND);
      if ((v & PENDING) === 0) return true;
      w.word = v;
      return undefined;
    },
  };
  return w;
}

function init(barrier: Barrier, core: Futex, action: (() => unknown) | undefined): void {
  const b = barrier as unknown as {
    _core: Futex;
    drain: number;
    action: (() => unknown) | undefined;
    timeout: number;
  };
  b._core = core;
  b.drain = HEADER + (core.i32[CAPACITY_WORD] as number) * CELL;
  b.action = action;
  b.timeout = new Float64Array(core.i32.buffer)[BARRIER_TIMEOUT] as number;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
