/**
 * The local tier where there is no AsyncLocalStorage (a browser's main thread): what needs to know which
 * Thread is running after an await says so with a RuntimeError that names what to use instead, and the
 * alternatives it names work.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError } from "../../../src/api/errors.ts";
import { Condition, currentThread, Lock, RLock, Thread } from "../../../src/index.ts";
import { within } from "../../helpers.ts";

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const noContext = (e: unknown) => e instanceof RuntimeError && /no AsyncLocalStorage/.test(e.message);

/** Runs `body` in a started Thread and resolves what it returns, or rejects with what it throws. */
function inThread<T>(body: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    new Thread({ target: () => body().then(resolve, reject) }).start();
  });
}

describe("local tier without AsyncLocalStorage", () => {
  it("currentThread() after an await in a Thread throws RuntimeError, before it the Thread itself", async () => {
    const seen = await within(
      inThread(async () => {
        const before = currentThread().name;
        await turn();
        let after: unknown;
        try {
          currentThread();
        } catch (error) {
          after = error;
        }
        return { before, after };
      }),
    );
    assert.notEqual(seen.before, "MainThread");
    assert.ok(noContext(seen.after), String(seen.after));
    await turn();
    assert.equal(currentThread().name, "MainThread", "with no Thread running, the main thread is known");
  });

  it("an RLock used in a Thread across await throws RuntimeError naming Lock, never a wrong owner", async () => {
    const rlock = new RLock();
    const error = await within(
      inThread(async () => {
        await rlock.acquire();
        await turn();
        try {
          rlock.release();
        } catch (e) {
          return e;
        }
        return undefined;
      }).catch((e: unknown) => e),
    );
    assert.ok(noContext(error), String(error));
    assert.match((error as Error).message, /use a Lock/);
  });

  it("rlock.run() rejects at once with RuntimeError, and holds nothing", async () => {
    const rlock = new RLock();
    let ran = false;
    await assert.rejects(
      rlock.run(async () => {
        ran = true;
      }),
      noContext,
    );
    assert.equal(ran, false);
    assert.equal(rlock.locked(), false);
  });

  it("a default Condition (an RLock) waited on in a Thread throws RuntimeError instead of deadlocking", async () => {
    const cond = new Condition();
    const error = await within(
      inThread(async () => {
        await cond.acquire();
        await turn();
        return cond.wait({ timeout: 1000 });
      }).catch((e: unknown) => e),
    );
    assert.ok(noContext(error), String(error));
  });

  it("an RLock on the main thread with no Thread running re-enters as usual", async () => {
    await turn();
    const rlock = new RLock();
    assert.equal(await rlock.acquire(), true);
    assert.equal(await rlock.acquire({ timeout: 0 }), true);
    rlock.release();
    rlock.release();
    assert.equal(rlock.locked(), false);
  });

  it("a Condition over a Lock, the alternative named, works between Threads", async () => {
    const cond = new Condition(new Lock());
    let ready = false;
    const consumer = inThread(async () => {
      await cond.acquire();
      try {
        return await cond.waitFor(() => ready, { timeout: 5000 });
      } finally {
        cond.release();
      }
    });
    await inThread(async () => {
      await turn();
      await cond.acquire();
      ready = true;
      cond.notifyAll();
      cond.release();
    });
    assert.equal(await within(consumer), true);
  });
});
