/**
 * No waiter cell is lost to the dead: a primitive has CAPACITY (64) cells, and a thread that dies queued, or
 * granted before it collected its grant, leaves its cells behind. The FIFO must take them back (a queued
 * dead cell is freed at the next hand-off, a granted one when no cell is free) and go on serving in order,
 * however many have died. A worker queues many async acquires at once (one cell each), then stops its
 * thread (`block`), so the grants land on cells it can never collect, and is terminated.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { toHandle } from "../../../src/threads/handle.ts";
import { CAPACITY, STATE, VALUE_MASK } from "../../../src/threads/layout.ts";
import { isDead } from "../../../src/threads/liveness.ts";
import { Lock } from "../../../src/threads/lock.ts";
import { Semaphore } from "../../../src/threads/semaphore.ts";
import { Agent, cleanUp, stopAll, until, Words } from "./driver.ts";

after(async () => {
  await stopAll();
  cleanUp();
});

const OWNER_DIED = "ERR_OWNER_DIED";

/** Makes `n` async acquires on `agent` and waits until all have queued (`before` were queued already). */
async function queueMany(agent: Agent, words: Words, n: number, before: number): Promise<void> {
  for (let i = 0; i < n; i++) agent.send({ op: "acquire", abortable: true });
  await until(
    () => words.fifo().length === before + n,
    () => `${n} acquires of owner ${agent.owner} queue`,
  );
}

describe("threads core: no cell is lost to the dead", () => {
  it(`Semaphore: ${5 * 20} grants land on cells of workers that die before collecting (CAPACITY ${CAPACITY})`, async () => {
    const PERMITS = 20;
    const sem = new Semaphore(PERMITS);
    const handle = toHandle(sem);
    const words = new Words(new Int32Array(handle.buffer));
    const main = Agent.main(sem);
    for (let i = 0; i < PERMITS; i++) assert.equal(sem.tryAcquire(), true);
    for (let round = 0; round < 5; round++) {
      const agent = await Agent.worker(sem, handle);
      await queueMany(agent, words, PERMITS, 0);
      await agent.settled(agent.send({ op: "block" }), "block");
      sem.release(PERMITS); // every grant lands on a cell its blocked waiter cannot collect
      await agent.kill();
      // The dead worker's 20 permits come back, each with OwnerDiedError, to whoever takes them.
      for (let i = 0; i < PERMITS; i++) {
        const p = main.send({ op: "acquire", timeout: 0 });
        assert.deepEqual(
          await main.settled(p, "a permit of the dead"),
          { error: OWNER_DIED },
          `round ${round}`,
        );
      }
      assert.equal(sem.value, 0);
      // Granted cells of the dead stay until a cell is needed (from round 3 on, some must be taken back).
      assert.equal(words.granted(), Math.min(CAPACITY, (round + 1) * PERMITS), `round ${round}`);
      assert.equal(
        words.census((o) => isDead(o)),
        0,
      );
    }
    // 100 grants went to the dead, more than the 64 cells: the FIFO still serves, in order.
    const a = await Agent.worker(sem, handle);
    const b = await Agent.worker(sem, handle);
    const pa = a.send({ op: "acquireSync" });
    await until(
      () => words.queued(a.owner),
      () => "a queues",
    );
    const pb = b.send({ op: "acquireSync", timeout: 120_000 });
    await until(
      () => words.queued(b.owner),
      () => "b queues",
    );
    assert.deepEqual(words.fifo(), [a.owner, b.owner]);
    sem.release();
    assert.deepEqual(await a.settled(pa, "the head waiter"), { ok: true });
    assert.equal(pb.outcome, undefined);
    sem.release();
    assert.deepEqual(await b.settled(pb, "the next waiter"), { ok: true });
    await Promise.all([a.done(), b.done()]);
  });

  it(`Lock: ${CAPACITY} queued cells of dead workers are freed by the next hand-off, ${3} times over`, async () => {
    const lock = new Lock();
    const handle = toHandle(lock);
    const i32 = new Int32Array(handle.buffer);
    const words = new Words(i32);
    assert.equal(lock.tryAcquire(), true);
    for (let round = 0; round < 3; round++) {
      const a = await Agent.worker(lock, handle);
      const b = await Agent.worker(lock, handle);
      await queueMany(a, words, CAPACITY / 2, 0);
      await queueMany(b, words, CAPACITY / 2, CAPACITY / 2);
      await a.settled(a.send({ op: "block" }), "block");
      await b.settled(b.send({ op: "block" }), "block");
      await Promise.all([a.kill(), b.kill()]);
      assert.equal(
        words.census(() => false),
        CAPACITY,
        "every cell is queued, by the dead",
      );
      // The release finds only dead waiters: it frees their cells and leaves the lock free.
      lock.release();
      assert.equal(Atomics.load(i32, STATE), 0, `round ${round}: the lock is free, nobody queued`);
      assert.equal(
        words.census(() => false),
        0,
      );
      const c = await Agent.worker(lock, handle);
      assert.deepEqual(await c.settled(c.send({ op: "acquireSync" }), "a newcomer"), { ok: true });
      // c holds it; main waits for it in a cell, and gets it when c releases.
      const pm = Agent.main(lock).send({ op: "acquire" });
      await until(
        () => words.queued(1),
        () => "main queues",
      );
      assert.deepEqual(await c.settled(c.send({ op: "release" }), "release"), { ok: undefined });
      await until(
        () => pm.outcome !== undefined,
        () => "main is granted",
      );
      assert.deepEqual(pm.outcome, { ok: true });
      assert.equal(Atomics.load(i32, STATE) & VALUE_MASK, 1);
      await c.done();
    }
    lock.release();
  });
});
