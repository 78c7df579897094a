/**
 * The scope shells (src/internal/scoped.ts, async-scoped.ts) where release is a round trip (AsyncScoped, AsyncHeld), on a stub
 * primitive whose calls settle a turn later, as a server's replies do; and the rules every shell keeps where the
 * contract suites cannot reach them (an OwnerDiedError from the acquire; a synchronous fn on the fast path).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OwnerDiedError, RuntimeError, TimeoutError } from "../../src/api/errors.ts";
import type { WaitOptions } from "../../src/api/options.ts";
import { AsyncHeld, AsyncScoped } from "../../src/internal/async-scoped.ts";
import { Scoped } from "../../src/internal/scoped.ts";
import { rejectsWith, within } from "../helpers.ts";

const later = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A one-holder primitive whose acquire and release are round trips; `grant` says what the next acquire gets. */
class RemoteLock extends AsyncScoped {
  held = false;
  acquires = 0;
  grant: "free" | "timeout" | "orphaned" = "free";
  async acquire(_opts?: WaitOptions): Promise<boolean> {
    this.acquires++;
    await later();
    if (this.grant === "timeout") return false;
    this.held = true;
    if (this.grant === "orphaned") throw new OwnerDiedError("the holder died");
    return true;
  }
  async release(): Promise<void> {
    await later();
    if (!this.held) throw new RuntimeError("release unlocked lock");
    this.held = false;
  }
}

describe("AsyncScoped: run() and hold() where release is a round trip", () => {
  it("run resolves fn's value once the release has been made", async () => {
    const lock = new RemoteLock();
    assert.equal(await within(lock.run(() => lock.held && "inside")), "inside");
    assert.equal(lock.held, false);
  });

  it("fn that lets go itself and then throws: run rejects with fn's error, not the release's", async () => {
    const lock = new RemoteLock();
    const boom = new Error("boom");
    const thrown = await rejectsWith(
      within(
        lock.run(async () => {
          await lock.release();
          throw boom;
        }),
      ),
      Error,
    );
    assert.equal(thrown, boom);
    assert.equal(lock.held, false);
  });

  it("a release that fails after fn succeeded rejects run with it", async () => {
    const lock = new RemoteLock();
    await rejectsWith(within(lock.run(() => lock.release())), RuntimeError, {
      message: "release unlocked lock",
    });
  });

  it("a non-function is a TypeError before any acquire", async () => {
    const lock = new RemoteLock();
    await rejectsWith(within(lock.run(7 as never)), TypeError, { message: "fn must be a function" });
    assert.equal(lock.acquires, 0);
  });

  it("a timeout rejects with TimeoutError and never calls fn", async () => {
    const lock = new RemoteLock();
    lock.grant = "timeout";
    let called = false;
    await rejectsWith(within(lock.run(() => (called = true), { timeout: 1 })), TimeoutError);
    await rejectsWith(within(lock.hold({ timeout: 1 })), TimeoutError);
    assert.equal(called, false);
  });

  it("OwnerDiedError from the acquire: run and hold let go, reject with it, and never call fn", async () => {
    const lock = new RemoteLock();
    lock.grant = "orphaned";
    let called = false;
    await rejectsWith(within(lock.run(() => (called = true))), OwnerDiedError);
    assert.equal(called, false);
    assert.equal(lock.held, false);
    await rejectsWith(within(lock.hold()), OwnerDiedError);
    assert.equal(lock.held, false);
  });

  it("hold resolves a guard whose await using waits for the release, once", async () => {
    const lock = new RemoteLock();
    {
      await using guard = await within(lock.hold());
      assert.ok(guard instanceof AsyncHeld);
      assert.equal(lock.held, true);
    }
    assert.equal(lock.held, false, "released when the scope ended, not later");
    const guard = await lock.hold();
    await guard.release();
    await guard.release(); // a second release is a no-op, not an error
    await guard[Symbol.asyncDispose]();
    assert.equal(lock.held, false);
  });

  it("a synchronous using is refused: a compile error, and at run time a TypeError that still lets go", async () => {
    const lock = new RemoteLock();
    const guard = await lock.hold();
    const run = () => {
      // @ts-expect-error: an AsyncGuard has no Symbol.dispose, so TypeScript refuses `using` on it
      using _guard = guard;
    };
    assert.throws(run, (e: unknown) => e instanceof TypeError && /await using/.test(e.message));
    // The release's round trip (one setImmediate) was queued before this one, so it has ended when this ends:
    // a timer here could fire first on a loaded machine.
    await later();
    assert.equal(lock.held, false, "nothing stays held");
  });
});

/** A synchronous one-holder primitive, as the local and threads tiers' are. */
class LocalLock extends Scoped {
  held = false;
  orphaned = false;
  acquire(): Promise<boolean> {
    return Promise.resolve(this.tryAcquire());
  }
  tryAcquire(): boolean {
    if (this.held) return false;
    this.held = true;
    if (this.orphaned) throw new OwnerDiedError("the holder died");
    return true;
  }
  release(): void {
    if (!this.held) throw new RuntimeError("release unlocked lock");
    this.held = false;
  }
}

describe("Scoped: the synchronous fast path", () => {
  it("a synchronous fn that lets go itself and then throws: run rejects with fn's error, never throws", async () => {
    const lock = new LocalLock();
    const boom = new Error("boom");
    let done: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      done = lock.run(() => {
        lock.release();
        throw boom;
      });
    });
    assert.equal(await rejectsWith(within(done!), Error), boom);
    assert.equal(lock.held, false);
  });

  it("a try that throws OwnerDiedError (the caller holds it) lets go and rejects, never calling fn", async () => {
    const lock = new LocalLock();
    lock.orphaned = true;
    let called = false;
    await rejectsWith(within(lock.run(() => (called = true))), OwnerDiedError);
    assert.equal(called, false);
    assert.equal(lock.held, false);
  });

  it("a synchronous using of its guard releases at the end of the scope", async () => {
    const lock = new LocalLock();
    {
      using _guard = await lock.hold();
      assert.equal(lock.held, true);
    }
    assert.equal(lock.held, false);
  });
});
