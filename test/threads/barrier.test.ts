import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { BrokenBarrierError } from "../../src/api/errors.ts";
import { Barrier, MAX_PARTIES } from "../../src/threads/barrier.ts";
import { fromHandle, toHandle } from "../../src/threads/handle.ts";
import { Lock } from "../../src/threads/lock.ts";
import { abortedSignal, rejectsWith } from "../helpers.ts";
import type { BarrierTasks } from "./barrier-worker.ts";
import { runIn, startWorker, terminateAll, wire, withinBooted } from "./spawn.ts";
import { queuedOn, until } from "./util.ts";

after(terminateAll);

const broken = { code: "ERR_BROKEN_BARRIER" };

/** Runs `tasks[name](...args)` of ./barrier-worker.ts in a new worker. */
function run<K extends keyof BarrierTasks>(
  name: K,
  ...args: Parameters<BarrierTasks[K]>
): Promise<Awaited<ReturnType<BarrierTasks[K]>>> {
  return runIn(new URL("./barrier-worker.ts", import.meta.url), { name, args: args.map(wire) });
}

/**
 * Starts `tasks[name](...args)` of ./barrier-worker.ts in a worker the test will kill: `kill()` terminates it
 * and resolves once its exit has been seen (so that its death is recorded).
 */
function killable<K extends keyof BarrierTasks>(name: K, ...args: Parameters<BarrierTasks[K]>) {
  const worker = startWorker(new URL("./barrier-worker.ts", import.meta.url), { name, args: args.map(wire) });
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  const kill = async () => {
    await worker.terminate();
    await withinBooted(exited);
  };
  return { worker, kill };
}

const counters = (n: number) => new Int32Array(new SharedArrayBuffer(n * 4));

/** Every round's indices (one column per round) are exactly 0..parties-1. */
function assertRounds(results: { indices: number[]; early: number }[], rounds: number): void {
  const parties = results.length;
  for (const { early } of results) assert.equal(early, 0, "no party passed before its round was complete");
  for (let r = 0; r < rounds; r++) {
    const column = results.map((party) => party.indices[r]!).sort((a, b) => a - b);
    assert.deepEqual(column, [...Array(parties).keys()], `indices of round ${r}`);
  }
}

describe("threads Barrier", () => {
  it("4 workers x 1000 rounds, 2 blocking and 2 async: indices exactly 0..3 every round, nobody early", async () => {
    const rounds = 1000;
    const barrier = new Barrier(4);
    const arrived = counters(rounds);
    const modes = ["sync", "async", "sync", "async"] as const;
    const results = await withinBooted(
      Promise.all(modes.map((mode) => run("rounds", barrier, rounds, mode, arrived))),
      120_000,
    );
    assertRounds(results, rounds);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  });

  it("blocking workers and async main-thread code take part in the same rounds", async () => {
    const rounds = 200;
    const barrier = new Barrier(3);
    const arrived = counters(rounds);
    const workers = [
      run("rounds", barrier, rounds, "sync", arrived),
      run("rounds", barrier, rounds, "sync", arrived),
    ];
    const main = (async () => {
      const indices: number[] = [];
      let early = 0;
      for (let r = 0; r < rounds; r++) {
        Atomics.add(arrived, r, 1);
        indices.push(await barrier.wait());
        if (Atomics.load(arrived, r) !== 3) early++;
      }
      return { indices, early };
    })();
    assertRounds(await withinBooted(Promise.all([main, ...workers]), 120_000), rounds);
  });

  it("an action with no party on its home object runs on the home thread, once a round, before anyone passes", async () => {
    const rounds = 100;
    const acted = counters(1);
    let runs = 0;
    const barrier = new Barrier(3, {
      action: () => {
        runs++; // this closure can only run on the main thread
        Atomics.add(acted, 0, 1);
      },
    });
    const arrived = counters(rounds);
    const modes = ["sync", "async", "sync"] as const;
    const results = await withinBooted(
      Promise.all(modes.map((mode) => run("rounds", barrier, rounds, mode, arrived, acted))),
      120_000,
    );
    assertRounds(results, rounds);
    assert.equal(runs, rounds);
    assert.equal(Atomics.load(acted, 0), rounds);
  });

  it("an async action awaited by the home thread's listener holds every worker until it settles", async () => {
    const acted = counters(1);
    const barrier = new Barrier(2, {
      action: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        Atomics.add(acted, 0, 1);
      },
    });
    const arrived = counters(5);
    const results = await withinBooted(
      Promise.all([
        run("rounds", barrier, 5, "sync", arrived, acted),
        run("rounds", barrier, 5, "async", arrived, acted),
      ]),
    );
    assertRounds(results, 5);
    assert.equal(Atomics.load(acted, 0), 5);
  });

  it("a home party blocked in waitSync runs the action itself when a worker arrives last", async () => {
    let runs = 0;
    const barrier = new Barrier(2, {
      action: () => {
        runs++;
      },
    });
    const worker = run("arriveAfter", barrier, 1, "sync"); // arrives once the main thread's ticket is queued
    assert.equal(barrier.waitSync({ timeout: 240_000 }), 0); // only a hang: the worker starts within it
    assert.equal(runs, 1);
    assert.equal(await withinBooted(worker), 1);
    assert.equal(barrier.broken, false);
  });

  it("in waitSync an action that returns a promise fails: its runner gets TypeError, the others BrokenBarrierError", async () => {
    const barrier = new Barrier(2, { action: async () => {} });
    const worker = run("once", barrier, "async");
    await queuedOn(barrier, 1);
    assert.throws(() => barrier.waitSync({ timeout: 30_000 }), TypeError);
    assert.deepEqual(await withinBooted(worker), { name: "BrokenBarrierError", code: "ERR_BROKEN_BARRIER" });
    assert.equal(barrier.broken, true);
  });

  it("a failing action run by a home party: the last arrival, a worker, gets its error; the runner BrokenBarrierError", async () => {
    const boom = new RangeError("boom");
    const barrier = new Barrier(2, {
      action: () => {
        throw boom;
      },
    });
    const home = barrier.wait(); // first: the worker will be the last arrival
    const worker = run("onceAfter", barrier, 1, "sync");
    await withinBooted(rejectsWith(home, BrokenBarrierError, broken), 60_000);
    assert.deepEqual(await withinBooted(worker, 60_000), {
      name: "RangeError",
      code: undefined,
      message: "boom",
    });
    assert.equal(barrier.broken, true);
  });

  for (const mode of ["sync", "async"] as const) {
    it(`a failing action run by the listener: the last arrival (a worker, ${mode}) gets its error, the others BrokenBarrierError, nothing on stderr`, async (t) => {
      const errors: string[] = [];
      t.mock.method(console, "error", (text: string) => errors.push(text));
      const barrier = new Barrier(3, {
        action: () => {
          const error = new Error("boom in the listener") as Error & { code: string };
          error.code = "E_ROUND";
          throw error;
        },
      });
      const first = [run("once", barrier, "sync"), run("once", barrier, "async")];
      const last = run("onceAfter", barrier, 2, mode);
      for (const outcome of await withinBooted(Promise.all(first), 60_000))
        assert.deepEqual(outcome, { name: "BrokenBarrierError", code: "ERR_BROKEN_BARRIER" });
      assert.deepEqual(await withinBooted(last, 60_000), {
        name: "Error",
        code: "E_ROUND",
        message: "boom in the listener",
      });
      assert.equal(barrier.broken, true);
      assert.deepEqual(errors, []);
    });
  }

  it("a last arrival on the action's own thread, through another object, gets the very error thrown", async () => {
    const boom = new Error("boom");
    const barrier = new Barrier(2, {
      action: () => {
        throw boom;
      },
    });
    const home = barrier.wait(); // the home party: it runs the action (rule 2)
    await queuedOn(barrier, 1);
    const other = fromHandle(toHandle(barrier)).wait(); // no action: the last arrival
    await withinBooted(rejectsWith(home, BrokenBarrierError, broken), 60_000);
    assert.equal(await withinBooted(rejectsWith(other, Error)), boom);
  });

  it("a Barrier made from a handle has no action, even on the home thread: the home object's listener runs it", async () => {
    let runs = 0;
    const home = new Barrier(2, {
      action: () => {
        runs++;
      },
    });
    const other = fromHandle(toHandle(home));
    assert.notEqual(other, home);
    const worker = run("arriveAfter", home, 1, "sync");
    assert.equal(await withinBooted(other.wait()), 0);
    assert.equal(await withinBooted(worker), 1);
    assert.equal(runs, 1);
  });

  it("the default timeout is shared: a worker's wait without a timeout breaks the barrier after it", async () => {
    const barrier = new Barrier(2, { timeout: 50 });
    assert.deepEqual(await withinBooted(run("once", barrier, "sync")), {
      name: "BrokenBarrierError",
      code: "ERR_BROKEN_BARRIER",
    });
    assert.equal(barrier.broken, true);
    assert.equal(fromHandle(toHandle(barrier)).parties, 2);
  });

  it("a worker's waitSync that times out breaks the barrier for an async party on the main thread", async () => {
    const barrier = new Barrier(3);
    const main = barrier.wait();
    const worker = run("once", barrier, "sync", 50);
    await withinBooted(rejectsWith(main, BrokenBarrierError, broken));
    assert.deepEqual(await withinBooted(worker), { name: "BrokenBarrierError", code: "ERR_BROKEN_BARRIER" });
    barrier.reset();
    assert.equal(barrier.broken, false);
  });

  it("a party whose thread dies while the action runs is counted out: the others pass, the next round forms", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let runs = 0;
    const barrier = new Barrier(2, {
      action: async () => {
        if (runs++ === 0) await gate;
      },
    });
    const { kill } = killable("once", barrier, "sync");
    await queuedOn(barrier, 1);
    const mine = barrier.wait(); // the last arrival, on the home object: it runs the action, which waits
    assert.equal(runs, 1);
    await kill(); // a party of the round, waiting for the action's outcome
    open();
    assert.equal(await withinBooted(mine), 1);
    const next = await withinBooted(
      Promise.all([barrier.wait({ timeout: 15_000 }), barrier.wait({ timeout: 15_000 })]),
    );
    assert.deepEqual(next.sort(), [0, 1], "the drain ended without the dead party");
    assert.equal(runs, 2);
    assert.equal(barrier.broken, false);
  });

  it("a party that dies before collecting its grant does not keep its cell: a 64-party barrier forms its next round", async () => {
    const barrier = new Barrier(64); // as many parties as cells: a round needs every one of them
    const { kill } = killable("waitThenBlock", barrier);
    await queuedOn(barrier, 1);
    const first = Array.from({ length: 63 }, () => barrier.wait({ timeout: 20_000 }));
    assert.equal(
      (await withinBooted(Promise.all(first))).length,
      63,
      "the round passes; the worker's grant waits",
    );
    await kill();
    const second = await withinBooted(
      Promise.all(Array.from({ length: 64 }, () => barrier.wait({ timeout: 20_000 }))),
      25_000,
    );
    assert.deepEqual(
      second.sort((a, b) => a - b),
      [...Array(64).keys()],
    );
    assert.equal(barrier.broken, false);
  });

  it("a round whose action's runner dies in the action fails: the other parties get BrokenBarrierError", async () => {
    const inAction = counters(1);
    const { worker, kill } = killable("homeThatHangs", inAction);
    const handle = await withinBooted(
      new Promise<ReturnType<typeof toHandle>>((resolve) =>
        worker.on("message", (m: { handle?: ReturnType<typeof toHandle> }) => m.handle && resolve(m.handle)),
      ),
    );
    const barrier = fromHandle(handle) as Barrier;
    await queuedOn(barrier, 1);
    const mine = barrier.wait(); // no timeout: only the runner's death can end this wait
    mine.catch(() => {}); // it may reject before kill() below has seen the exit: handled now, checked below
    await until(() => Atomics.load(inAction, 0) !== 0, "the home party runs the action");
    await kill();
    await withinBooted(rejectsWith(mine, BrokenBarrierError, broken), 20_000);
    assert.equal(barrier.broken, true);
  });

  it("waitSync(): bad options throw before anything changes, on the main thread and in a worker", async () => {
    const barrier = new Barrier(2);
    const bad: [unknown, typeof TypeError | typeof RangeError][] = [
      [{ timeout: -1 }, RangeError],
      [{ timeout: Number.NaN }, RangeError],
      [{ timeout: "5" }, TypeError],
      [{ blocking: "no" }, TypeError],
      [{ signal: {} }, TypeError],
      [{ blocking: false, timeout: 5 }, TypeError],
      ["fast", TypeError],
    ];
    for (const [opts, Class] of bad) {
      assert.throws(() => barrier.waitSync(opts as never), Class);
      assert.deepEqual(await withinBooted(run("badSync", barrier, opts)), { name: Class.name, queued: 0 });
    }
    const reason = new Error("already");
    assert.throws(
      () => barrier.waitSync({ signal: abortedSignal(reason) }),
      (e) => e === reason,
    );
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  });

  it("rejects more parties than a barrier holds, options that are not an object, and foreign handles", () => {
    assert.throws(() => new Barrier(MAX_PARTIES + 1), RangeError);
    assert.equal(new Barrier(MAX_PARTIES).parties, MAX_PARTIES);
    assert.throws(() => new Barrier(2, null as never), TypeError);
    const lockBuffer = toHandle(new Lock()).buffer;
    assert.throws(() => fromHandle({ threadkit: "threads", kind: "Barrier", buffer: lockBuffer }), TypeError);
  });
});
