/**
 * Owner died (API.md): a worker that dies holding a Lock, RLock or semaphore permit of the threads tier hangs
 * nobody. The next acquirer (a waiter parked before the death, or a caller arriving after it; async on the
 * main thread or blocking in a worker) gets OwnerDiedError while it holds what the dead held; the one after
 * it acquires normally; no permit is lost or made. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { OwnerDiedError, TimeoutError } from "../../src/api/errors.ts";
import { Condition } from "../../src/threads/condition.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { Lock } from "../../src/threads/lock.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../../src/threads/semaphore.ts";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";
import { queuedOn } from "./util.ts";

const entry = new URL("./owner-died-worker.ts", import.meta.url);
type Primitive = Lock | RLock | Semaphore;
type How = "terminate" | "exit" | "throw";

const kinds: [string, () => Primitive][] = [
  ["Lock", () => new Lock()],
  ["RLock", () => new RLock()],
  ["Semaphore", () => new Semaphore(1)],
  ["BoundedSemaphore", () => new BoundedSemaphore(1)],
];

/** Resolves the first message of `worker` that has `key`, or rejects if it exits or errs first. */
function message<T>(worker: Worker, key: string, ms = 20_000): Promise<T> {
  return withinBooted(
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          worker.off("message", onMessage);
          resolve(m as T);
        }
      };
      worker.on("message", onMessage);
      worker.once("error", () => {}); // the holder that throws on purpose
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code} before "${key}"`)));
    }),
    ms,
    `the worker's "${key}"`,
  );
}

/** A worker that takes `p` (`count` times) and reports once it holds it. */
async function holder(p: Primitive, how: How | "return", count = 1): Promise<Worker> {
  const worker = startWorker(entry, { role: "holder", handle: toHandle(p), how, count });
  worker.on("error", () => {});
  exit(worker); // watched from the start: a holder that returns may be gone before the test looks
  await message(worker, "held", 60_000); // a loaded machine may take over 20 s to start a worker
  return worker;
}

/** Kills a holder the way `how` says and resolves once its exit has been seen. */
async function kill(worker: Worker, how: How): Promise<void> {
  const exited = exit(worker);
  if (how === "terminate") await worker.terminate();
  else worker.postMessage("die");
  await withinBooted(exited, 20_000, "the holder's exit");
}

/** Resolves once `worker` has exited (events.once would reject on the "error" of a holder that throws). */
function exit(worker: Worker): Promise<number> {
  let exited = exits.get(worker);
  if (exited === undefined) {
    exited = new Promise((resolve) => worker.once("exit", resolve));
    exits.set(worker, exited);
  }
  return exited;
}
const exits = new WeakMap<Worker, Promise<number>>();

/**
 * A wait whose outcome the test awaits only later, after awaiting other things (a holder's exit). It may
 * settle first: a worker that ends by `process.exit()` or an uncaught error records its own death before
 * its parent sees it exit, and a parked waiter may then recover the lock at once. A rejection with no
 * handler yet would count as unhandled, so one is attached now; the test still awaits the promise itself.
 */
function early<T>(wait: Promise<T>): Promise<T> {
  wait.catch(() => {});
  return wait;
}

interface WaiterReport {
  ok?: boolean;
  error?: { name: string; code?: string; message: string };
  held: boolean;
}

/** Whether the main thread holds `p` now (a semaphore of these tests has one permit). */
function heldHere(p: Primitive): boolean {
  if (p instanceof RLock) return p._isOwned();
  if (p instanceof Lock) return p.locked();
  return p.value === 0;
}

/** After a recovery: `p` is free again and acquires normally, with every permit there. */
async function acquiresNormally(p: Primitive): Promise<void> {
  assert.equal(await withinBooted(p.acquire({ timeout: 5_000 })), true);
  p.release();
  if (p instanceof Semaphore) assert.equal(p.value, 1, "no permit lost or made");
  else assert.equal(p.locked(), false);
}

describe("threads owner died", () => {
  after(terminateAll);

  for (const [name, make] of kinds) {
    for (const how of ["terminate", "exit", "throw"] as const) {
      for (const when of ["parked", "after"] as const) {
        it(`${name}, holder killed by ${how}: an async waiter ${when === "parked" ? "parked before" : "arriving after"} the death gets OwnerDiedError holding it`, async () => {
          const p = make();
          const dying = await holder(p, how);
          const id = dying.threadId;
          let waiting: Promise<boolean> | undefined;
          if (when === "parked") {
            waiting = early(p.acquire({ timeout: 15_000 }));
            await queuedOn(p, 1);
          }
          await kill(dying, how);
          waiting ??= p.acquire({ timeout: 15_000 });
          await assert.rejects(withinBooted(waiting, 20_000), (e: unknown) => {
            assert.ok(e instanceof OwnerDiedError);
            assert.equal(e.code, "ERR_OWNER_DIED");
            assert.match(e.message, new RegExp(`thread ${id} died`));
            return true;
          });
          assert.equal(heldHere(p), true, "the waiter holds it");
          p.release();
          await acquiresNormally(p);
        });

        it(`${name}, holder killed by ${how}: a blocking waiter in a worker ${when === "parked" ? "parked before" : "arriving after"} the death gets OwnerDiedError holding it`, async () => {
          const p = make();
          const dying = await holder(p, how);
          let waiter: Worker | undefined;
          let report: Promise<WaiterReport> | undefined;
          const start = () => {
            waiter = startWorker(entry, { role: "waiter", handle: toHandle(p), timeout: 15_000 });
            exit(waiter);
            report = message<WaiterReport>(waiter, "held", 30_000);
          };
          if (when === "parked") {
            start();
            await queuedOn(p, 1);
          }
          await kill(dying, how);
          if (when === "after") start();
          const got = await report!;
          assert.equal(got.error?.code, "ERR_OWNER_DIED", JSON.stringify(got));
          assert.equal(got.held, true, "the waiter held it when it learned of the death");
          await withinBooted(exit(waiter!), 20_000);
          await acquiresNormally(p);
        });
      }
    }
  }

  it("tryAcquire takes a lock or permit whose holder died, and throws OwnerDiedError holding it", async () => {
    for (const [, make] of kinds) {
      const p = make();
      await kill(await holder(p, "terminate"), "terminate");
      assert.throws(() => p.tryAcquire(), OwnerDiedError);
      assert.equal(heldHere(p), true);
      p.release();
      assert.equal(p.tryAcquire(), true, "reported once: then an ordinary take");
      p.release();
      await acquiresNormally(p);
    }
  });

  it("run() and hold() release what they inherited from a dead holder and reject with OwnerDiedError", async () => {
    for (const [, make] of kinds) {
      const p = make();
      await kill(await holder(p, "throw"), "throw");
      let ran = false;
      await assert.rejects(
        withinBooted(
          p.run(() => {
            ran = true;
          }),
        ),
        OwnerDiedError,
      );
      assert.equal(ran, false, "fn does not run over state the dead may have left inconsistent");
      await acquiresNormally(p);
      const q = make();
      await kill(await holder(q, "exit"), "exit");
      await assert.rejects(withinBooted(q.hold()), OwnerDiedError);
      await acquiresNormally(q);
    }
  });

  it("a semaphore gives back every permit a dead thread held, each with OwnerDiedError, and none it did not", async () => {
    const sem = new Semaphore(3);
    assert.equal(await sem.acquire(), true); // the main thread keeps one throughout
    const dying = await holder(sem, "terminate", 2);
    assert.equal(sem.value, 0);
    const waiting = early(sem.acquire({ timeout: 15_000 }));
    await queuedOn(sem, 1);
    await kill(dying, "terminate");
    await assert.rejects(withinBooted(waiting, 20_000), OwnerDiedError); // the first recovered permit
    assert.equal(sem.value, 1);
    assert.throws(() => sem.tryAcquire(), OwnerDiedError); // the second one, lying free
    assert.equal(sem.value, 0);
    assert.equal(sem.tryAcquire(), false, "two recovered, not more");
    sem.release(3);
    assert.equal(sem.value, 3, "no permit lost or made");
    assert.equal(await withinBooted(sem.acquire({ timeout: 1_000 })), true, "no notice left over");
    sem.release();
  });

  it("a release that would pass the most permits a semaphore holds throws RangeError and changes nothing: a permit another thread holds is still recovered when it dies", async () => {
    const sem = new Semaphore(1);
    const dying = await holder(sem, "terminate");
    assert.throws(() => sem.release(2 ** 30), RangeError);
    assert.equal(sem.value, 0);
    await kill(dying, "terminate");
    await assert.rejects(withinBooted(sem.acquire({ timeout: 15_000 }), 20_000), OwnerDiedError);
    sem.release();
    await acquiresNormally(sem);
  });

  it("a consumer that dies does not give back the permits it consumed (releases without acquires are signals)", async () => {
    const sem = new Semaphore(0);
    sem.release(2); // a producer's signals
    const consumer = await holder(sem, "throw", 2);
    await kill(consumer, "throw");
    // A later caller looks for dead holders when it finds no permit: there are none to recover.
    assert.equal(await withinBooted(sem.acquire({ timeout: 300 })), false);
    assert.equal(sem.value, 0, "no permit made");
  });

  it("a holder whose code returns did not die: a Lock stays locked for another thread to release, a Semaphore permit stays taken", async () => {
    const lock = new Lock();
    const sem = new Semaphore(1);
    const ended = [await holder(lock, "return"), await holder(sem, "return")];
    await Promise.all(ended.map((w) => withinBooted(exit(w), 20_000)));
    assert.equal(await withinBooted(lock.acquire({ timeout: 300 })), false);
    assert.equal(lock.tryAcquire(), false);
    lock.release(); // any thread may release a Lock (Python)
    await acquiresNormally(lock);
    assert.equal(await withinBooted(sem.acquire({ timeout: 300 })), false);
    sem.release();
    await acquiresNormally(sem);
  });

  it("an RLock whose owner's code returned holding it is recovered: nobody else could ever release it", async () => {
    const rlock = new RLock();
    const ended = await holder(rlock, "return");
    await withinBooted(exit(ended), 20_000);
    await assert.rejects(withinBooted(rlock.acquire({ timeout: 15_000 }), 20_000), OwnerDiedError);
    assert.equal(rlock._isOwned(), true);
    rlock.release();
    await acquiresNormally(rlock);
  });

  it("a Condition waiter moved onto a lock whose owner then died takes the lock back and gets OwnerDiedError", async () => {
    for (const lock of [new Lock(), new RLock()]) {
      const cond = new Condition(lock);
      await cond.acquire();
      const waiting = early(cond.wait({ timeout: 240_000 })); // only a hang: the worker starts within it
      // The worker takes the lock the waiter let go of, notifies (moving the waiter onto the lock's FIFO)
      // and dies holding the lock.
      const dying = startWorker(new URL("./owner-died-notifier.ts", import.meta.url), {
        cond: toHandle(cond),
      });
      dying.on("error", () => {});
      exit(dying);
      await withinBooted(exit(dying), 20_000);
      await assert.rejects(withinBooted(waiting, 20_000), OwnerDiedError);
      assert.equal(
        lock instanceof RLock ? lock._isOwned() : lock.locked(),
        true,
        "the waiter holds the lock",
      );
      cond.release();
      assert.equal(lock.locked(), false);
    }
  });

  it("a Condition waiter at RLock depth 3 that takes the lock back itself from a dead holder comes back at depth 3", async () => {
    const rlock = new RLock();
    const cond = new Condition(rlock);
    for (let i = 0; i < 3; i++) rlock.acquireSync();
    const controller = new AbortController();
    const waiting = early(cond.wait({ timeout: 30_000, signal: controller.signal }));
    // The worker takes the RLock the waiter let go of and dies holding it; only then does the waiter stop
    // waiting (abort), so it takes the lock back itself and recovers it from the dead holder.
    await kill(await holder(rlock, "terminate"), "terminate");
    controller.abort(new Error("stop waiting"));
    await assert.rejects(withinBooted(waiting, 20_000), OwnerDiedError);
    assert.equal(rlock._isOwned(), true);
    assert.equal(rlock._depth(), 3, "the depth it waited with");
    for (let i = 0; i < 3; i++) rlock.release();
    assert.equal(rlock.locked(), false);
    await acquiresNormally(rlock);
  });

  it("never declares a live holder dead, however long it holds, while other workers die", async () => {
    for (const [, make] of kinds) {
      const p = make();
      const living = await holder(p, "terminate"); // holds, blocked, until terminated
      // Deaths elsewhere move the registry's count: the waiters look at this holder again, and find it alive.
      await kill(await holder(new Lock(), "terminate"), "terminate");
      await kill(await holder(new Lock(), "throw"), "throw");
      const started = performance.now();
      const results = await withinBooted(
        Promise.all([p.acquire({ timeout: 400 }), p.acquire({ timeout: 600 })]),
      );
      assert.deepEqual(results, [false, false], "timed out: the holder lives");
      assert.ok(performance.now() - started >= 550);
      assert.equal(p.tryAcquire(), false);
      // Its death, now, is what hands it on.
      await kill(living, "terminate");
      await assert.rejects(withinBooted(p.acquire({ timeout: 15_000 }), 20_000), OwnerDiedError);
      p.release();
      await acquiresNormally(p);
    }
  });

  it("a waiter whose thread died is skipped: the release goes to the next live waiter", async () => {
    const lock = new Lock();
    lock.acquireSync();
    const doomed = startWorker(entry, { role: "waiter", handle: toHandle(lock), timeout: 30_000 });
    await queuedOn(lock, 1);
    const next = early(lock.acquire({ timeout: 10_000 }));
    await queuedOn(lock, 2);
    await withinBooted(doomed.terminate());
    lock.release();
    assert.equal(await withinBooted(next), true, "the live waiter gets it, normally");
    lock.release();
    assert.equal(lock.locked(), false);
  });

  it("hold() of a live lock still times out with TimeoutError", async () => {
    const lock = new Lock();
    lock.acquireSync();
    await assert.rejects(withinBooted(lock.hold({ timeout: 50 })), TimeoutError);
    lock.release();
  });
});
