/**
 * The threads tier's Thread on module Web Workers: targets are modules (./thread-target.ts, bundled beside
 * the page), primitives in `args` arrive live, and join() gives the outcome.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { currentThread, Lock, Queue, RLock, Thread } from "../../../src/threads/index.ts";
import { within } from "../../helpers.ts";

const target = new URL("./thread-target.js", import.meta.url);

describe("threads Thread on Web Workers", () => {
  it("two Threads keep plain increments whole under a Lock passed in args; each has its own ident", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const threads = [1, 2].map(() => new Thread({ target, args: [lock, counter, 2_000] }));
    for (const t of threads) t.start();
    for (const t of threads) assert.equal(await within(t.join({ timeout: 60_000 }), 70_000), true);
    assert.equal(counter[0], 4_000);
    for (const t of threads) {
      assert.equal(t.isAlive(), false);
      assert.equal(t.error, undefined);
    }
    const idents = threads.map((t) => t.ident);
    assert.ok(idents.every((id) => typeof id === "number" && id > 0));
    assert.notEqual(idents[0], idents[1]);
  });

  it("the worker knows itself as the Thread, and an RLock the main thread holds is not its own", async () => {
    const out = new Queue<unknown>();
    const rlock = new RLock();
    await rlock.acquire();
    const t = new Thread({ target, export: "whoami", args: [out, rlock], name: "web-worker-thread" });
    t.start();
    assert.deepEqual(await within(out.get({ timeout: 60_000 }), 70_000), [
      "web-worker-thread",
      t.ident,
      false,
    ]);
    assert.equal(await within(t.join({ timeout: 60_000 }), 70_000), true);
    assert.equal(currentThread().name, "MainThread");
    rlock.release();
  });

  it("a target that rejects: join() resolves true and error is the target's error, rebuilt", async () => {
    const t = new Thread({ target, export: "failing" });
    t.start();
    assert.equal(await within(t.join({ timeout: 60_000 }), 70_000), true);
    assert.ok(t.error instanceof RangeError, String(t.error));
    assert.equal((t.error as Error).message, "the target fails on purpose");
  });
});
