/**
 * A hand-off across threads is drawn at the moment it was made, not when the core got to tell it: the core
 * tells hand-offs made under its guard once the guard is let go, and a loaded machine can deschedule the
 * releaser in between while the waiter it woke goes on and ends its wait. ./handoff-worker.ts makes that
 * gap happen every time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layout, record } from "../../src/diagnostics/index.ts";
import { Lock, Thread } from "../../src/threads/index.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a hand-off told late", () => {
  it("still points at the wait it ended, from when it was made", async () => {
    const recorder = record();
    const lock = new Lock();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const holder = new Thread({
      name: "holder",
      target: new URL("./handoff-worker.ts", import.meta.url),
      args: [lock, flags],
    });
    holder.start();
    const deadline = Date.now() + 60_000;
    while (Atomics.load(flags, 0) === 0) {
      assert.ok(Date.now() < deadline && holder.isAlive(), "the holder took the lock");
      await sleep(2);
    }
    assert.equal(await lock.acquire(), true); // queues behind the holder, which hands it over
    Atomics.store(flags, 1, 1); // main's acquire has ended: the holder may tell its hand-off now
    Atomics.notify(flags, 1);
    lock.release();
    assert.equal(await holder.join(), true);
    assert.equal(holder.error, undefined);
    const rec = recorder.stop();
    const handoff = rec.events.find((e) => e.type === "point" && e.m.event === "handoff");
    const end = rec.events.find(
      (e) => e.type === "call" && e.phase === "end" && e.m.thread.name === "main" && e.m.queued,
    );
    assert.ok(handoff !== undefined && end !== undefined, "both the hand-off and main's wait are recorded");
    assert.ok(handoff.t <= end.t, `the hand-off at ${handoff.t}, after the wait it ended (${end.t})`);
    const arrows = layout(rec).arrows.map((a) => a.detail);
    assert.ok(
      arrows.some((a) => /^holder hands lock T\d+\.\d+ to main \(its acquire\)$/.test(a)),
      arrows.join(" | "),
    );
  });
});
