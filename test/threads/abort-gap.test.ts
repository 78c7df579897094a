/**
 * An abort that comes before a wait of the core begins (a caller that awaited something first: a queue's put
 * after waiting for room, a Barrier party after waiting for a cell) is not missed: the wait rejects with the
 * signal's reason at once and leaves nothing behind (no cell, no OVERFLOW count, no pending keep-alive).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Condition } from "../../src/threads/condition.ts";
import type { Taker } from "../../src/threads/futex.ts";
import { CAPACITY, CELL, FREE, HEADER, OVERFLOW, ROOM } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { ME, pendingWaits } from "../../src/threads/runtime.ts";
import { abortedSignal, within } from "../helpers.ts";

const NEVER: Taker = { take: () => -1, took() {} };
const reason = new Error("aborted in the caller's await gap");

function allCellsFree(i32: Int32Array): boolean {
  for (let k = 0; k < CAPACITY; k++) if (Atomics.load(i32, HEADER + k * CELL) !== FREE) return false;
  return true;
}

describe("threads core: an abort before the wait begins", () => {
  it("acquireAsync with an aborted signal rejects at once and queues nothing", async () => {
    const lock = new Lock();
    lock.acquireSync();
    const p = lock._core.acquireAsync(lock, ME, 0, 20_000, abortedSignal(reason));
    await assert.rejects(within(p, 2_000, "the aborted acquire"), (e) => e === reason);
    assert.equal(lock._core.size, 0);
    assert.equal(pendingWaits(), 0);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  it("parkAsync on a queued cell with an aborted signal leaves the FIFO at once", async () => {
    const cond = new Condition(new Lock());
    const core = cond._core;
    const cell = core.enter(NEVER, ME, 1);
    assert.ok(cell >= HEADER);
    const p = core.parkAsync(cell, Number.POSITIVE_INFINITY, abortedSignal(reason));
    await assert.rejects(within(p, 2_000, "the aborted park"), (e) => e === reason);
    assert.equal(core.size, 0);
    assert.ok(allCellsFree(core.i32));
    assert.equal(pendingWaits(), 0);
  });

  it("parkAsync keeps a grant that came before it began, even with an aborted signal", async () => {
    const cond = new Condition(new Lock());
    const core = cond._core;
    const cell = core.enter(NEVER, ME, 1);
    core.lock();
    assert.equal(core.shift(), cell);
    core.settleQueued();
    core.grant(cell, 7);
    core.unlock();
    assert.equal(await within(core.parkAsync(cell, 1_000, abortedSignal(reason))), 7);
    assert.ok(allCellsFree(core.i32));
  });

  it("roomAsync with an aborted signal rejects at once and uncounts itself from OVERFLOW", async () => {
    const cond = new Condition(new Lock());
    const core = cond._core;
    const i32 = core.i32;
    Atomics.add(i32, OVERFLOW, 1); // as enter() leaves it when it returns FULL
    const p = core.roomAsync(Atomics.load(i32, ROOM), performance.now() + 20_000, abortedSignal(reason));
    await assert.rejects(within(p, 2_000, "the aborted room wait"), (e) => e === reason);
    assert.equal(Atomics.load(i32, OVERFLOW), 0);
    assert.equal(pendingWaits(), 0);
  });
});
