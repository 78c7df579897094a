/**
 * Parking in the threads core: how a waiter waits for its grant (on its FIFO cell), for a free cell (on
 * ROOM), or for a word to change (`parkWord...`): it spins, then sleeps, in slices.
 *
 * Blocking waits use Atomics.wait; async waits (the main thread, and any async caller) use
 * Atomics.waitAsync and, while pending, hold a share of a ref'd interval (./runtime.ts), because Node does
 * not keep the process alive for a pending waitAsync.
 *
 * Slices: every wait wakes each SLICE ms to `watch` for deaths (./futex-recovery.ts), since it cannot block
 * on its word and the liveness registry at once; a blocking wait with no timeout also publishes itself on
 * the deadlock board then (./deadlock.ts).
 *
 * Spinning: a thread about to sleep first spins on the word it would sleep on (baselines: a futex sleep and
 * wake costs ~10-55 us, a spin hand-off ~0.2 us). The budget is fixed, SPIN_SYNC loads (~20 us on these
 * machines, where V8 11 calls out for each Atomics.load, ~10 ns) for a blocking wait and SPIN_ASYNC for an
 * async one, which spins on the event loop. Not adaptive: a budget that shrinks when spins fail settles
 * where both sides of a hand-off sleep, since each then waits out the other's wake-up (measured: an Event
 * ping-pong at the futex floor, ~10 us, instead of ~0.2 us).
 */
import type { CallMessage } from "../internal/channels.ts";
import { now } from "../internal/deadline.ts";
import { detection } from "../internal/deadlock.ts";
import { currentCall, leftEarly, probe, queued } from "../internal/probe.ts";
import { Watch } from "./deadlock.ts";
import type { Futex, Taker } from "./futex.ts";
import { FULL, TAKEN, takenFrom } from "./futex-fifo.ts";
import { watch } from "./futex-recovery.ts";
import { SPIN_SYNC, sleeps } from "./futex-word.ts";
import { GRANTED, NONE, OVERFLOW, ROOM, SLEEPING } from "./layout.ts";
import { reap } from "./liveness.ts";
import { keepAlive, letGo, waitAsync } from "./runtime.ts";

/** Loads an async waiter spins (on the event loop) before it sleeps. */
export const SPIN_ASYNC = 200;
/**
 * How often (ms) a waiter on a primitive with orphans wakes to see whether a death was recorded: it cannot
 * block on its cell and the registry at once. A slice costs one wake-up and one load while nobody dies.
 */
export const SLICE = 100;

/** A waiter spins on its queued cell, at most `max` loads: true once it is GRANTED (then `collect` it). */
export function spinGranted(i32: Int32Array, cell: number, max: number): boolean {
  for (let i = 0; i < max; i++) if (Atomics.load(i32, cell) === GRANTED) return true;
  return false;
}

/**
 * The waiter of `cell` sleeps on it, blocking, for at most `ms`: marks it SLEEPING first, and does not sleep
 * if the grant came first. What Atomics.wait returned, or "not-equal".
 */
export function sleepOn(core: Futex, cell: number, ms: number): "ok" | "not-equal" | "timed-out" {
  if (!core.markSleeping(cell)) return "not-equal";
  sleeps.count++;
  return Atomics.wait(core.i32, cell, SLEEPING, ms);
}

/** See Futex.parkSync. */
export function parkSync(
  core: Futex,
  cell: number,
  deadline: number,
  expire?: (cell: number) => number,
): number {
  if (probe.on) tell(cell);
  if (spinGranted(core.i32, cell, SPIN_SYNC)) return core.collect(cell);
  let seen = 0;
  let cycles: Watch | undefined;
  try {
    for (;;) {
      if (core.granted(cell)) return core.collect(cell);
      const rest = deadline - now();
      if (rest <= 0) return expire === undefined ? core.leave(cell) : expire(cell);
      // In slices: a death can leave this waiter to be recovered by someone, maybe itself (see `watch`).
      if (sleepOn(core, cell, Math.min(rest, SLICE)) === "timed-out") {
        seen = watch(core, seen);
        // A blocking wait with no timeout is published on the deadlock board, which finds a cycle of
        // holders or every live thread stuck (./deadlock.ts); not once granted (its beat says it waits).
        if (deadline === Number.POSITIVE_INFINITY && detection.on && !core.granted(cell)) {
          cycles ??= new Watch(core.i32);
          const error = cycles.slice();
          if (error !== undefined) {
            const got = core.leave(cell);
            if (got !== 0) return got; // granted meanwhile: no deadlock after all
            throw error;
          }
        }
      }
    }
  } finally {
    cycles?.done();
  }
}

/** See Futex.parkAsync. */
export function parkAsync(
  core: Futex,
  cell: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<number> {
  if (spinGranted(core.i32, cell, SPIN_ASYNC)) return Promise.resolve(core.collect(cell));
  return new AsyncWait(core, null, 0, 0, deadline, signal, cell).promise as Promise<number>;
}

/** See Futex.acquireAsync: enters the FIFO (or takes) and waits, without blocking. */
export function enterAsync(
  core: Futex,
  t: Taker,
  owner: number,
  value: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<boolean> {
  return new AsyncWait(core, t, owner, value, deadline, signal).promise as Promise<boolean>;
}

/** See Futex.roomSync. */
export function roomSync(core: Futex, seq: number, deadline: number): boolean {
  // In slices: a cell can also come back without a free() that bumps ROOM (granted to a waiter that then
  // died: see the recovery's `reclaim`), and the caller's next `enter()` looks for it.
  const woken = sleepSync(core.i32, ROOM, seq, Math.min(deadline, now() + SLICE));
  reap();
  Atomics.sub(core.i32, OVERFLOW, 1);
  return woken;
}

/** See Futex.roomAsync. */
export function roomAsync(core: Futex, seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
  return new AsyncWait(core, null, 0, 0, deadline, signal, NONE, seq).promise as Promise<number>;
}

/** Blocks while `i32[index] === value`, until woken or `deadline`; false if the deadline passed. */
function sleepSync(i32: Int32Array, index: number, value: number, until: number): boolean {
  const rest = until - now();
  if (rest <= 0) return false;
  Atomics.wait(i32, index, value, rest);
  return true;
}

/**
 * A wait on a word (see Futex.parkWordSync): `look` runs before each sleep and returns the outcome once the
 * wait is over (`late`: its deadline has passed, so it must give one), else undefined, with `word` set to
 * the value to sleep against (read where the outcome was decided, so that no wake-up is missed).
 */
export interface WordWait<T> {
  word: number;
  look(late: boolean): T | undefined;
  /** On abort: the outcome if one came first (then kept), else undefined. */
  abort?(): T | undefined;
}

/** See Futex.parkWordSync. */
export function parkWordSync<T>(core: Futex, index: number, w: WordWait<T>, deadline: number): T {
  if (probe.on) tellWaiting();
  let seen = 0;
  let stuck: Watch | undefined;
  try {
    for (;;) {
      const outcome = w.look(now() >= deadline);
      if (outcome !== undefined) return outcome;
      if (Atomics.wait(core.i32, index, w.word, Math.min(deadline - now(), SLICE)) === "timed-out") {
        seen = watch(core, seen);
        // Published for the deadlock board (./deadlock.ts), never told: it has no FIFO cell to leave.
        if (deadline === Number.POSITIVE_INFINITY && detection.on)
          (stuck ??= new Watch(core.i32, false)).slice();
      }
    }
  } finally {
    stuck?.done();
  }
}

/** See Futex.parkWordAsync. */
export function parkWordAsync<T>(
  core: Futex,
  index: number,
  w: WordWait<T>,
  deadline: number,
  signal?: AbortSignal,
  idle = false,
): Promise<T> {
  if (probe.on) tellWaiting();
  const i32 = core.i32;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (outcome: T): void => {
      done = true;
      if (!idle) letGo();
      signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onAbort = (): void => {
      if (done) return;
      const kept = w.abort?.();
      if (kept !== undefined) {
        finish(kept);
        return;
      }
      done = true;
      if (!idle) letGo();
      // Flushes this wait's abandoned waitAsync (the others on the word look again and sleep on).
      Atomics.notify(i32, index);
      reject(signal!.reason);
    };
    let seen = 0;
    const step = (): void => {
      if (done) return;
      const outcome = w.look(now() >= deadline);
      if (outcome !== undefined) {
        finish(outcome);
        return;
      }
      const rest = deadline - now();
      const r = idle ? waitAsync(i32, index, w.word) : waitAsync(i32, index, w.word, Math.min(rest, SLICE));
      if (r.async) r.value.then(slice);
      else step();
    };
    const slice = (result: "ok" | "timed-out"): void => {
      if (result === "timed-out" && !done) seen = watch(core, seen);
      step();
    };
    if (!idle) keepAlive();
    if (signal?.aborted) onAbort();
    else {
      signal?.addEventListener("abort", onAbort, { once: true });
      step();
    }
  });
}

/** Tells the probe that the traced call running now (if any) queued in `cell`. */
function tell(cell: number): void {
  const call = currentCall();
  if (call !== undefined) queued(call, cell);
}

/** Tells the probe that the traced call running now (if any) waits, on a word, unless it queued already. */
function tellWaiting(): void {
  const call = currentCall();
  if (call !== undefined && !call.queued) queued(call);
}

/**
 * One pending async wait: on ROOM (no free cell yet), then on its cell. With a taker it enters the FIFO
 * itself (enterAsync); with a cell it only parks (parkAsync); with neither it only waits for ROOM
 * (roomAsync). It holds a share of the keep-alive while pending, is its own abort listener, and re-arms
 * Atomics.waitAsync after spurious wake-ups.
 */
class AsyncWait {
  /** Settles as acquireAsync does (a boolean) with a taker, else with the grant's value (0: timed out). */
  readonly promise: Promise<boolean | number>;
  private resolve!: (outcome: boolean | number) => void;
  private reject!: (reason: unknown) => void;
  private settled = false;
  /** The deaths count this waiter last looked at (see the recovery's `watch`). */
  private seen = 0;
  /** Whether this wait is counted in OVERFLOW or holds a cell (false only for a taker not yet entered). */
  private entered: boolean;
  /** The traced call that waits, while the probe is on. */
  private readonly call: CallMessage | undefined = probe.on ? currentCall() : undefined;

  constructor(
    private readonly core: Futex,
    private readonly taker: Taker | null,
    private readonly owner: number,
    private readonly value: number,
    private readonly deadline: number,
    private readonly signal: AbortSignal | undefined,
    private cell = NONE,
    seq = 0,
  ) {
    this.entered = taker === null || cell !== NONE;
    this.promise = new Promise<boolean | number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    keepAlive();
    if (signal?.aborted) {
      // Aborted before the wait began (the caller awaited something first, and the abort came then): no
      // listener would ever fire. Leave now, as the listener would have.
      this.handleEvent();
      return;
    }
    signal?.addEventListener("abort", this, { once: true });
    if (cell !== NONE && this.call !== undefined) queued(this.call, cell);
    if (cell !== NONE) this.sleep(cell);
    else if (taker !== null) this.enter();
    else this.sleep(ROOM, seq);
  }

  private enter(): void {
    const core = this.core;
    const seq = Atomics.load(core.i32, ROOM);
    const cell = core.enter(this.taker!, this.owner, this.value);
    this.entered = cell > TAKEN;
    if (cell <= TAKEN) this.settle(takenFrom(cell));
    else if (cell === FULL) this.sleep(ROOM, seq);
    else {
      this.cell = cell;
      if (this.call !== undefined) queued(this.call, cell);
      if (spinGranted(core.i32, cell, SPIN_ASYNC)) this.settle(core.collect(cell));
      else this.sleep(cell);
    }
  }

  /** Sleeps on ROOM while it is `seq`, or (no `seq`) on this wait's cell, marking it SLEEPING first. */
  private sleep(index: number, seq?: number): void {
    const i32 = this.core.i32;
    let rest = this.deadline - now();
    // In slices, on a cell (see the recovery's `watch`) and on ROOM (see roomSync: each wake-up enters again).
    if (rest > SLICE) rest = SLICE;
    if (seq === undefined && !this.core.markSleeping(index)) rest = 0; // granted first
    const result = rest > 0 ? waitAsync(i32, index, seq ?? SLEEPING, rest) : null;
    if (result?.async) result.value.then(this.wake);
    else this.wake();
  }

  /** A notify, a timeout, or a spurious return of waitAsync: look at the word again. */
  private readonly wake = (): void => {
    if (this.settled) return; // an abandoned waitAsync, flushed after the wait had ended
    const { core, cell } = this;
    if (cell === NONE) {
      Atomics.sub(core.i32, OVERFLOW, 1);
      if (now() >= this.deadline) this.settle(0);
      else if (this.taker === null) this.settle(1);
      else this.enter();
    } else if (core.granted(cell)) this.settle(core.collect(cell));
    else if (now() >= this.deadline) this.settle(core.leave(cell));
    else {
      this.seen = watch(core, this.seen);
      this.sleep(cell);
    }
  };

  /**
   * The abort listener (and the check at the start): leave as if never queued, unless the grant came first
   * (then keep it). With a taker and no cell yet, nothing was entered or counted.
   */
  handleEvent(): void {
    if (this.settled) return;
    const { core, cell } = this;
    if (cell === NONE) {
      if (this.entered) Atomics.sub(core.i32, OVERFLOW, 1);
    } else {
      const granted = core.leave(cell);
      if (granted !== 0) {
        this.settle(granted);
        return;
      }
    }
    this.settled = true;
    letGo();
    if (this.call !== undefined) leftEarly(this.call, "abort");
    this.reject(this.signal!.reason);
  }

  private settle(granted: number): void {
    this.settled = true;
    letGo();
    this.signal?.removeEventListener("abort", this);
    if (this.taker === null) this.resolve(granted);
    else if (granted < 0) this.reject(this.core.orphans!.died(-granted));
    else this.resolve(granted !== 0);
  }
}
