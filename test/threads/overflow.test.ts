/**
 * More waiters than a primitive has cells. The cell table is shrunk to 2 here (through the same buffer
 * constructor the primitives use), so that a few threads overflow it.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Condition } from "../../src/threads/condition.ts";
import { allocate, Kind, OVERFLOW, STATE } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { runTask, terminateAll, withinBooted } from "./spawn.ts";

after(terminateAll);

describe("threads: more waiters than cells", () => {
  it("blocking waiters on 3 workers and async ones on main share a 2-cell Lock exactly", async () => {
    const buffer = allocate(Kind.Lock, 2).buffer as SharedArrayBuffer;
    const lock = Lock._attach(buffer);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const workers = [1, 2, 3].map(() => runTask("incrementsOnBuffer", buffer, counter, 5_000));
    const local = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 500; i++) {
        await lock.acquire();
        counter[0] = (counter[0] as number) + 1;
        lock.release();
      }
    });
    await withinBooted(Promise.all([...workers, ...local]), 60_000);
    assert.equal(counter[0], 17_000);
    assert.equal(Atomics.load(lock._core.i32, STATE), 0);
    assert.equal(Atomics.load(lock._core.i32, OVERFLOW), 0, "nobody is left counted as overflowing");
  });

  it("a 2-cell Condition: overflowing waitFor callers still see the notifyAll's state", async () => {
    const lock = new Lock();
    const cond = Condition._attach(allocate(Kind.Condition, 2).buffer as SharedArrayBuffer, lock);
    let go = false;
    const waiters = Array.from({ length: 6 }, () => cond.run(() => cond.waitFor(() => go)));
    const overflowing = () => Atomics.load(cond._core.i32, OVERFLOW);
    for (let i = 0; i < 1000 && overflowing() < 4; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(cond._core.size, 2, "two hold cells");
    assert.equal(overflowing(), 4, "the other four wait for a cell");
    await cond.run(() => {
      go = true;
      cond.notifyAll();
    });
    assert.deepEqual(await withinBooted(Promise.all(waiters)), Array(6).fill(true));
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 0);
    assert.equal(lock.locked(), false);
  });

  it("a 2-cell Condition: a wait that begins after a notify cannot take what it owed to a waiter without a cell", async () => {
    const lock = new Lock();
    const cond = Condition._attach(allocate(Kind.Condition, 2).buffer as SharedArrayBuffer, lock);
    const waiters: Promise<boolean>[] = [];
    for (let i = 0; i < 3; i++) {
      await lock.acquire();
      waiters.push(cond.wait({ timeout: 20_000 }).finally(() => lock.release()));
    }
    assert.equal(cond._core.size, 2, "two hold cells");
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 1, "the third waits without one");
    await lock.acquire();
    cond.notify(3);
    // Began after the notify: nothing is owed to it (it is counted, and times out).
    assert.equal(await withinBooted(cond.wait({ timeout: 300 })), false);
    lock.release();
    assert.deepEqual(await withinBooted(Promise.all(waiters)), [true, true, true], "all three notified");
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 0);
  });

  it("a 2-cell Condition: a waiter without a cell times out blocking, and leaves when aborted", async () => {
    const lock = new Lock();
    const cond = Condition._attach(allocate(Kind.Condition, 2).buffer as SharedArrayBuffer, lock);
    const waiters: Promise<boolean>[] = [];
    for (let i = 0; i < 2; i++) {
      await lock.acquire();
      waiters.push(cond.wait().finally(() => lock.release()));
    }
    lock.acquireSync();
    assert.equal(cond.waitSync({ timeout: 50 }), false, "no cell, no notify: its deadline");
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 0, "no longer counted");
    const abort = new AbortController();
    const aborted = cond.wait({ signal: abort.signal }).finally(() => lock.release());
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 1, "counted without a cell");
    abort.abort(new Error("stop"));
    await assert.rejects(withinBooted(aborted), /stop/);
    assert.equal(Atomics.load(cond._core.i32, OVERFLOW), 0, "left when aborted");
    await lock.acquire();
    cond.notify(3);
    lock.release();
    assert.deepEqual(await withinBooted(Promise.all(waiters)), [true, true], "the two with cells notified");
    assert.equal(lock.locked(), false);
  });
});
