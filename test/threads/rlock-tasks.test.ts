/**
 * In the threads tier an RLock's owner is the thread (as Python's), so async tasks of one thread are one
 * owner. What that means, and what misuse still guarantees: nothing stays locked, and run() reports the
 * real error. A Lock excludes tasks of one thread from one another. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError } from "../../src/api/errors.ts";
import { Condition } from "../../src/threads/condition.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { rejectsWith, sleep, within } from "../helpers.ts";

describe("threads RLock and the tasks of one thread", () => {
  it("two tasks of one thread both hold an RLock at once: it counts them as one owner's levels", async () => {
    const rlock = new RLock();
    let seen = 0;
    const first = rlock.run(() => sleep(30));
    const second = rlock.run(() => {
      seen = rlock._depth();
    });
    await within(Promise.all([first, second]));
    assert.equal(seen, 2, "the second task re-entered while the first held it");
    assert.equal(rlock.locked(), false);
  });

  it("tasks sharing a default Condition: the wait takes the other task's level with it; its notify is a RuntimeError, and nothing stays locked", async () => {
    const cond = new Condition();
    let ready = false;
    let go = (): void => {};
    const bMayGo = new Promise<void>((resolve) => (go = resolve));
    // b takes its level first (a free lock is taken before run returns), then a's run re-enters on top of it.
    const b = cond.run(async () => {
      await bMayGo;
      ready = true;
      cond.notifyAll(); // a's wait let go of b's level too: b holds nothing now
    });
    const a = cond.run(() => cond.waitFor(() => ready, { timeout: 200 }));
    go();
    // run() rejects with the notify's error, not with the failed release that follows it.
    await rejectsWith(within(b), RuntimeError, { message: "cannot notify on un-acquired lock" });
    assert.equal(await within(a, 5_000), true, "a times out and finds the predicate true");
    assert.equal(cond.locked(), false, "b's level, taken back by a's wait, was let go");
    assert.equal(await within(cond.acquire({ timeout: 1_000 })), true);
    cond.release();
  });

  it("a task that releases a level while a wait of its thread holds it is owed: the wait lets it go on return", async () => {
    const rlock = new RLock();
    const cond = new Condition(rlock);
    await rlock.acquire(); // task b's level
    await rlock.acquire(); // task a's level
    const a = cond.wait({ timeout: 100 }).then((notified) => ({ notified, depth: rlock._depth() }));
    assert.equal(rlock.locked(), false, "the wait let go of both");
    rlock.release(); // task b is done: its level is owed, no error
    assert.deepEqual(await within(a), { notified: false, depth: 1 }, "a holds its own level only");
    rlock.release();
    assert.equal(rlock.locked(), false);
    assert.throws(() => rlock.release(), RuntimeError, "nothing lent now: a release of nothing is an error");
  });

  it("a Condition over a Lock excludes tasks of one thread: the same two tasks work", async () => {
    const cond = new Condition(new Lock());
    let ready = false;
    const a = cond.run(() => cond.waitFor(() => ready, { timeout: 5_000 }));
    const b = cond.run(() => {
      ready = true;
      cond.notifyAll();
      return "notified";
    });
    assert.deepEqual(await within(Promise.all([a, b])), [true, "notified"]);
    assert.equal(cond.locked(), false);
  });

  it("run(): an error of fn is not masked by a release that fails after it", async () => {
    const lock = new Lock();
    const mine = new Error("fn failed");
    await assert.rejects(
      within(
        lock.run(() => {
          lock.release(); // fn let go itself: the release after it fails
          throw mine;
        }),
      ),
      (e) => e === mine,
    );
    assert.equal(lock.locked(), false);
  });
});
