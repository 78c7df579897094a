import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrokenBarrierError, RuntimeError } from "../../src/api/errors.ts";
import type * as api from "../../src/api/primitives.ts";
import { abortedSignal, isPending, rejectsWith, within } from "../helpers.ts";
import { barrierRounds, barrierWaitAndCheck, barrierWaitAndReport } from "./bodies/barrier.ts";
import { deadlines, type Tier } from "./tier.ts";

const broken = { code: "ERR_BROKEN_BARRIER" };

/**
 * Asserts that every promise rejects with BrokenBarrierError. All are watched at once: agents on other
 * threads settle in any order, and one awaited after another could otherwise reject unhandled meanwhile.
 */
function allBroken(promises: Promise<unknown>[]): Promise<Error[]> {
  return within(Promise.all(promises.map((p) => rejectsWith(p, BrokenBarrierError, broken))));
}

/** threading.Barrier (cyclic, action, timeouts, abort/reset), plus asyncio's abort rule and async actions. */
export function barrierContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  /** Starts `n` agents waiting at `barrier`, one after the other, and checks that they all wait. */
  async function arrive(barrier: api.Barrier, n: number): Promise<Promise<number>[]> {
    const before = await barrier.nWaiting;
    const parties: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      const party = agents.spawn(barrierWaitAndReport, barrier);
      party.catch(() => {}); // a party may be broken before the test looks at it: not an unhandled rejection
      parties.push(party);
      await agents.settle(); // each is waiting before the next arrives
    }
    assert.equal(await barrier.nWaiting, before + n, "the agents are waiting");
    return parties;
  }

  describe(`Barrier [${tier.name}]`, () => {
    it("starts filling and unbroken, with its parties", async () => {
      const barrier = tier.Barrier(3);
      assert.equal(barrier.parties, 3);
      assert.equal(await barrier.nWaiting, 0);
      assert.equal(await barrier.broken, false);
    });

    it("holds every party until the last arrives, then lets them all pass", async () => {
      const barrier = tier.Barrier(3);
      const parties = await arrive(barrier, 2);
      for (const party of parties) assert.equal(await isPending(party, agents.settle), true);
      const last = await within(barrier.wait());
      assert.deepEqual(await within(Promise.all(parties)), [0, 1]);
      assert.equal(last, 2);
      assert.equal(await barrier.nWaiting, 0);
      assert.equal(await barrier.broken, false);
    });

    it("gives indices 0..parties-1 in arrival order; the last arrival gets parties-1", async () => {
      const barrier = tier.Barrier(5);
      const parties = await arrive(barrier, 4);
      assert.equal(await within(barrier.wait()), 4);
      assert.deepEqual(await within(Promise.all(parties)), [0, 1, 2, 3]);
    });

    it("gives unique indices 0..parties-1 when all parties arrive at once", async () => {
      const barrier = tier.Barrier(6);
      const parties = Array.from({ length: 6 }, () => agents.spawn(barrierWaitAndReport, barrier));
      // Six agents start at once: the deadline counts once all have begun (see `deadlines`).
      const indices = await within(Promise.all(parties), 60_000);
      assert.deepEqual(
        indices.sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5],
      );
    });

    it("runs the action exactly once, when the last party arrives and before any party passes", async () => {
      let runs = 0;
      const acted = tier.Event();
      const barrier = tier.Barrier(3, {
        action: async () => {
          runs++;
          await acted.set();
        },
      });
      const parties = [agents.spawn(barrierWaitAndCheck, barrier, acted)];
      await agents.settle();
      parties.push(agents.spawn(barrierWaitAndCheck, barrier, acted));
      await agents.settle();
      assert.equal(await barrier.nWaiting, 2);
      assert.equal(runs, 0, "not before the last party arrives");
      assert.equal(await within(barrier.wait()), 2);
      assert.deepEqual(await within(Promise.all(parties)), [
        [0, true],
        [1, true],
      ]);
      assert.equal(runs, 1);
    });

    it("is cyclic: over many rounds no party overtakes, indices are unique and the action runs once a round", async () => {
      const parties = 4;
      const rounds = 25;
      const log = tier.SimpleQueue<string>();
      const barrier = tier.Barrier(parties, {
        action: async () => {
          await log.putNowait("action");
        },
      });
      const runs = Array.from({ length: parties }, () => agents.spawn(barrierRounds, barrier, rounds, log));
      const indices = await within(Promise.all(runs), 30_000);
      for (let round = 0; round < rounds; round++) {
        const column = indices.map((party) => party[round]!).sort((a, b) => a - b);
        assert.deepEqual(column, [0, 1, 2, 3], `indices of round ${round}`);
      }
      const entries: string[] = [];
      while (!(await log.empty())) entries.push(await log.getNowait());
      const expected: string[] = [];
      for (let round = 0; round < rounds; round++) {
        expected.push(...Array<string>(parties).fill(String(round)), "action");
      }
      assert.deepEqual(entries, expected, "every party arrived before anyone started the next round");
      assert.equal(await barrier.nWaiting, 0);
      assert.equal(await barrier.broken, false);
    });

    it("Barrier(1): every wait passes at once with index 0 and runs the action", async () => {
      let runs = 0;
      const barrier = tier.Barrier(1, {
        action: () => {
          runs++;
        },
      });
      for (let i = 0; i < 3; i++) assert.equal(await within(barrier.wait()), 0);
      assert.equal(runs, 3);
      assert.equal(await within(tier.Barrier(1).wait()), 0);
    });

    it("rejects parties that are not a whole number >= 1 with RangeError, non-numbers with TypeError", () => {
      for (const parties of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => tier.Barrier(parties), RangeError, `parties ${parties}`);
      }
      for (const parties of ["3", undefined, null, 3n, {}]) {
        assert.throws(() => tier.Barrier(parties as never), TypeError, `parties ${String(parties)}`);
      }
    });

    it("rejects a bad default timeout or a non-function action with RangeError/TypeError", () => {
      assert.throws(() => tier.Barrier(2, { timeout: -1 }), RangeError);
      assert.throws(() => tier.Barrier(2, { timeout: Number.NaN }), RangeError);
      assert.throws(() => tier.Barrier(2, { timeout: "5" as never }), TypeError);
      assert.throws(() => tier.Barrier(2, { action: "run" as never }), TypeError);
    });

    it("rejects options that are not an object with TypeError", () => {
      for (const options of [5, "x", null, true]) {
        assert.throws(() => tier.Barrier(1, options as never), TypeError, `options ${String(options)}`);
      }
    });

    it("uses the constructor's timeout for waits that give none: running out breaks the barrier", async () => {
      const barrier = tier.Barrier(2, { timeout: 30 });
      const started = Date.now();
      await within(rejectsWith(barrier.wait(), BrokenBarrierError, broken));
      assert.ok(Date.now() - started >= 25, "waited about the default timeout");
      assert.equal(await barrier.broken, true);
    });

    it("an explicit timeout overrides the constructor's", async () => {
      const barrier = tier.Barrier(2, { timeout: 60_000 });
      await within(rejectsWith(barrier.wait({ timeout: 20 }), BrokenBarrierError, broken), 10_000);
      assert.equal(await barrier.broken, true);
    });

    it("a waiter that times out breaks the barrier for all; later waits fail at once until reset()", async () => {
      const barrier = tier.Barrier(3);
      const [other] = await arrive(barrier, 1);
      await within(rejectsWith(barrier.wait({ timeout: 30 }), BrokenBarrierError, broken));
      await within(rejectsWith(other!, BrokenBarrierError, broken));
      assert.equal(await barrier.broken, true);
      assert.equal(await barrier.nWaiting, 0);
      await within(rejectsWith(barrier.wait(), BrokenBarrierError, broken));
      await within(rejectsWith(agents.spawn(barrierWaitAndReport, barrier), BrokenBarrierError, broken));
      assert.equal(await barrier.broken, true);
      await barrier.reset();
      assert.equal(await barrier.broken, false);
      const parties = await arrive(barrier, 2);
      assert.equal(await within(barrier.wait()), 2);
      assert.deepEqual(await within(Promise.all(parties)), [0, 1]);
    });

    it("wait({ timeout: 0 }) or blocking:false by a party that is not the last breaks the barrier at once", async () => {
      for (const opts of [{ timeout: 0 }, { blocking: false }]) {
        const barrier = tier.Barrier(3);
        const [other] = await arrive(barrier, 1);
        await within(rejectsWith(barrier.wait(opts), BrokenBarrierError, broken));
        await within(rejectsWith(other!, BrokenBarrierError, broken));
        assert.equal(await barrier.broken, true);
      }
      const alone = tier.Barrier(2);
      await within(rejectsWith(alone.wait({ timeout: 0 }), BrokenBarrierError, broken));
      assert.equal(await alone.broken, true);
    });

    it("wait({ timeout: 0 }) by the last arrival passes the barrier", async () => {
      const barrier = tier.Barrier(2);
      const [first] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait({ timeout: 0 })), 1);
      assert.equal(await within(first!), 0);
      assert.equal(await barrier.broken, false);
    });

    it("abort() breaks it: waiting parties and later waits get BrokenBarrierError (a RuntimeError)", async () => {
      const barrier = tier.Barrier(3);
      const parties = await arrive(barrier, 2);
      await barrier.abort();
      for (const error of await allBroken(parties)) {
        assert.ok(error instanceof RuntimeError, "BrokenBarrierError extends RuntimeError");
        assert.equal(error.name, "BrokenBarrierError");
      }
      assert.equal(await barrier.broken, true);
      assert.equal(await barrier.nWaiting, 0);
      await within(rejectsWith(barrier.wait(), BrokenBarrierError, broken));
      await within(rejectsWith(barrier.wait({ timeout: 0 }), BrokenBarrierError, broken));
      assert.equal(await barrier.broken, true);
    });

    it("abort() then reset() makes the barrier usable again", async () => {
      const barrier = tier.Barrier(2);
      const [party] = await arrive(barrier, 1);
      await barrier.abort();
      await within(rejectsWith(party!, BrokenBarrierError, broken));
      await barrier.reset();
      assert.equal(await barrier.broken, false);
      assert.equal(await barrier.nWaiting, 0);
      const [first] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait()), 1);
      assert.equal(await within(first!), 0);
    });

    it("reset() while parties wait gives them BrokenBarrierError and leaves the barrier usable", async () => {
      const barrier = tier.Barrier(3);
      const parties = await arrive(barrier, 2);
      await barrier.reset();
      await allBroken(parties);
      assert.equal(await barrier.broken, false);
      assert.equal(await barrier.nWaiting, 0);
      const next = await arrive(barrier, 2);
      assert.equal(await within(barrier.wait()), 2);
      assert.deepEqual(await within(Promise.all(next)), [0, 1]);
    });

    it("reset() of an idle barrier changes nothing", async () => {
      const barrier = tier.Barrier(2);
      await barrier.reset();
      assert.equal(await barrier.broken, false);
      const [first] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait()), 1);
      assert.equal(await within(first!), 0);
    });

    it("an action that throws: the last arrival gets that error, the others BrokenBarrierError; broken after", async () => {
      const boom = new Error("boom");
      let runs = 0;
      const barrier = tier.Barrier(3, {
        action: () => {
          runs++;
          throw boom;
        },
      });
      const parties = allBroken(await arrive(barrier, 2));
      assert.equal(await within(rejectsWith(barrier.wait(), Error)), boom);
      await parties;
      assert.equal(runs, 1);
      assert.equal(await barrier.broken, true);
      await within(rejectsWith(barrier.wait(), BrokenBarrierError, broken));
      assert.equal(runs, 1, "a broken barrier runs no action");
    });

    it("an async action that rejects: the last arrival gets that error, the others BrokenBarrierError; broken after", async () => {
      const boom = new Error("boom");
      const barrier = tier.Barrier(3, {
        action: async () => {
          await Promise.resolve();
          throw boom;
        },
      });
      const parties = allBroken(await arrive(barrier, 2));
      assert.equal(await within(rejectsWith(barrier.wait(), Error)), boom);
      await parties;
      assert.equal(await barrier.broken, true);
    });

    it("an async action is awaited before anyone passes; parties arriving meanwhile form the next round", async () => {
      let started = 0;
      const gate = tier.Event();
      const barrier = tier.Barrier(2, {
        action: async () => {
          started++;
          await gate.wait();
        },
      });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait(); // completes the round and runs the action, which waits for the gate
      await agents.settle();
      assert.equal(started, 1);
      assert.equal(await isPending(first!, agents.settle), true, "no party passes before the action ends");
      assert.equal(await isPending(last, agents.settle), true);
      assert.equal(await barrier.nWaiting, 0, "the round is complete (draining)");
      assert.equal(await barrier.broken, false);
      const next = [agents.spawn(barrierWaitAndReport, barrier)];
      await agents.settle();
      next.push(agents.spawn(barrierWaitAndReport, barrier));
      await agents.settle();
      assert.equal(started, 1, "the newcomers did not complete a round of their own meanwhile");
      for (const party of next) assert.equal(await isPending(party, agents.settle), true);
      await gate.set();
      assert.equal(await within(first!), 0);
      assert.equal(await within(last), 1);
      assert.deepEqual(await within(Promise.all(next)), [0, 1]);
      assert.equal(started, 2);
      assert.equal(await barrier.nWaiting, 0);
      assert.equal(await barrier.broken, false);
    });

    it("a try while an async action runs does not wait for the drain: it breaks the barrier, the round passes", async () => {
      const gate = tier.Event();
      const barrier = tier.Barrier(2, { action: () => gate.wait() });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait(); // completes the round and runs the action, which waits for the gate
      assert.equal(await isPending(last, agents.settle), true);
      await within(rejectsWith(barrier.wait({ timeout: 0 }), BrokenBarrierError, broken));
      assert.equal(await barrier.broken, true);
      await within(rejectsWith(barrier.wait({ blocking: false }), BrokenBarrierError, broken));
      await gate.set();
      assert.equal(await within(first!), 0, "the round that was draining passes");
      assert.equal(await within(last), 1);
      assert.equal(await barrier.broken, true);
    });

    it("reset() while an async action runs leaves that round alone: its parties pass", async () => {
      const gate = tier.Event();
      const barrier = tier.Barrier(2, { action: () => gate.wait() });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait();
      assert.equal(await isPending(last, agents.settle), true);
      await barrier.reset();
      await gate.set();
      assert.equal(await within(first!), 0);
      assert.equal(await within(last), 1);
      assert.equal(await barrier.broken, false);
    });

    it("abort() while an async action runs breaks that round: every party gets BrokenBarrierError", async () => {
      const gate = tier.Event();
      const barrier = tier.Barrier(2, { action: () => gate.wait() });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait();
      assert.equal(await isPending(last, agents.settle), true);
      await barrier.abort();
      await gate.set();
      await allBroken([first!, last]);
      assert.equal(await barrier.broken, true);
    });

    it("abort() then reset() while an async action runs: the round is still broken, later rounds work", async () => {
      let runs = 0;
      const gate = tier.Event();
      const barrier = tier.Barrier(2, {
        action: async () => {
          runs++;
          await gate.wait();
        },
      });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait();
      assert.equal(await isPending(last, agents.settle), true);
      await barrier.abort();
      await barrier.reset();
      // Parties arriving now wait for the next round, which cannot start while the action still runs.
      const next = [agents.spawn(barrierWaitAndReport, barrier)];
      await agents.settle();
      next.push(agents.spawn(barrierWaitAndReport, barrier));
      await agents.settle();
      assert.equal(runs, 1, "no second action while the first runs");
      await gate.set();
      await allBroken([first!, last]);
      assert.deepEqual((await within(Promise.all(next))).sort(), [0, 1]);
      assert.equal(runs, 2);
      assert.equal(await barrier.broken, false);
    });

    it("a party whose wait is aborted leaves as if it never came: not broken, indices still 0..parties-1", async () => {
      const barrier = tier.Barrier(3);
      const controller = new AbortController();
      const reason = new Error("leave");
      const leaving = barrier.wait({ signal: controller.signal }); // the first to arrive
      const [a] = await arrive(barrier, 1);
      assert.equal(await barrier.nWaiting, 2);
      controller.abort(reason);
      assert.equal(await within(rejectsWith(leaving, Error)), reason);
      assert.equal(await barrier.broken, false);
      assert.equal(await barrier.nWaiting, 1);
      assert.equal(await isPending(a!, agents.settle), true, "the others keep waiting");
      const [b] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait()), 2);
      assert.equal(await within(a!), 0);
      assert.equal(await within(b!), 1);
      assert.equal(await barrier.broken, false);
    });

    it("an abort that comes once the round is complete (from the action) no longer applies: every party passes", async () => {
      const controller = new AbortController();
      const barrier = tier.Barrier(3, { action: () => controller.abort(new Error("too late")) });
      const early = barrier.wait({ signal: controller.signal }); // the first to arrive
      const [other] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait()), 2);
      assert.equal(await within(early), 0);
      assert.equal(await within(other!), 1);
      assert.equal(await barrier.broken, false);
    });

    it("an aborted timed wait rejects with the signal's reason and does not break the barrier", async () => {
      const barrier = tier.Barrier(2);
      const controller = new AbortController();
      const reason = new Error("leave");
      const leaving = barrier.wait({ timeout: 60_000, signal: controller.signal });
      assert.equal(await isPending(leaving, agents.settle), true);
      controller.abort(reason);
      assert.equal(await within(rejectsWith(leaving, Error)), reason);
      assert.equal(await barrier.broken, false);
      assert.equal(await barrier.nWaiting, 0);
    });

    it("an already-aborted signal rejects at once and does not count as an arrival", async () => {
      const barrier = tier.Barrier(2);
      const reason = new Error("already");
      assert.equal(await within(rejectsWith(barrier.wait({ signal: abortedSignal(reason) }), Error)), reason);
      assert.equal(await barrier.nWaiting, 0);
      const [first] = await arrive(barrier, 1);
      // Even as the would-be last arrival, it neither passes the barrier nor runs a round.
      assert.equal(await within(rejectsWith(barrier.wait({ signal: abortedSignal(reason) }), Error)), reason);
      assert.equal(await barrier.nWaiting, 1);
      assert.equal(await isPending(first!, agents.settle), true);
      assert.equal(await within(barrier.wait()), 1);
      assert.equal(await within(first!), 0);
      assert.equal(await barrier.broken, false);
    });

    it("a newcomer aborted while an async action runs leaves without disturbing either round", async () => {
      const gate = tier.Event();
      const barrier = tier.Barrier(2, { action: () => gate.wait() });
      const [first] = await arrive(barrier, 1);
      const last = barrier.wait();
      const controller = new AbortController();
      const reason = new Error("leave");
      const leaving = barrier.wait({ signal: controller.signal }); // waits for the next round
      assert.equal(await isPending(leaving, agents.settle), true);
      controller.abort(reason);
      assert.equal(await within(rejectsWith(leaving, Error)), reason);
      await gate.set();
      assert.equal(await within(first!), 0);
      assert.equal(await within(last), 1);
      assert.equal(await barrier.broken, false);
      assert.equal(await barrier.nWaiting, 0);
      const [next] = await arrive(barrier, 1);
      assert.equal(await within(barrier.wait()), 1);
      assert.equal(await within(next!), 0);
    });

    it("rejects bad wait options with TypeError/RangeError and changes nothing", async () => {
      const barrier = tier.Barrier(2);
      const [first] = await arrive(barrier, 1);
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
        await within(rejectsWith(barrier.wait(opts as never), Class));
        assert.equal(await barrier.nWaiting, 1, `no arrival after ${JSON.stringify(opts)}`);
        assert.equal(await barrier.broken, false, `not broken after ${JSON.stringify(opts)}`);
      }
      assert.equal(await isPending(first!, agents.settle), true);
      assert.equal(await within(barrier.wait()), 1);
      assert.equal(await within(first!), 0);
    });
  });
}
