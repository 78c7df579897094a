/**
 * A thread terminated inside one of a queue's mutexes (every put and get holds one for a few instructions)
 * does not hang the queue: the next thread that wants that mutex takes it over once the death is recorded,
 * and the queue is as if the dead thread's put or get had happened entirely or not at all (./store.ts,
 * "Dying"). Every wait has a deadline; no test relies on where a terminate() lands.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { toHandle } from "../../src/threads/handle.ts";
import { Q_GET_MUTEX, Q_PUT_MUTEX } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Queue } from "../../src/threads/queue.ts";
import { sleep } from "../helpers.ts";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";
import { until } from "./util.ts";

after(terminateAll);

const entry = new URL("./mutex-death-worker.ts", import.meta.url);

/** The queue's two mutex words (./store.ts): each 0 once nobody holds it. */
const words = (q: Queue<number | string>): number[] =>
  [Q_PUT_MUTEX, Q_GET_MUTEX].map((w) => Atomics.load(q._store.meta, w));

/** Starts `op` on `q` in a worker, waits until it is there (its flag), lets it run `ms`, and terminates it. */
async function killed(op: "hold" | "churn", q: Queue<number | string>, ms = 0): Promise<number> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = startWorker(entry, { op, handle: toHandle(q), flag });
  const owner = worker.threadId + 1;
  await until(() => Atomics.load(flag, 0) === 1, `the worker's ${op}`);
  if (ms > 0) await sleep(ms);
  await withinBooted(worker.terminate(), 20_000, "terminate");
  await until(() => isDead(owner), "the death is recorded");
  return owner;
}

describe("threads Queue: a thread that dies inside the queue's mutexes", () => {
  it("a worker terminated holding the mutexes: the main thread takes them over, and the queue works", async () => {
    const q = new Queue<number>(10);
    q.putNowait(1);
    const dead = await killed("hold", q);
    assert.deepEqual(
      words(q).map((w) => w >>> 1),
      [dead, dead],
      "the dead worker still holds PUT and GET",
    );
    assert.equal(q.getNowait(), 1);
    q.putNowait(2);
    assert.equal(await withinBooted(q.get({ timeout: 5_000 })), 2);
    assert.deepEqual(words(q), [0, 0], "free again");
  });

  it("a worker blocked on the mutex before its holder died takes it over and gets its item", async () => {
    const q = new Queue<number>(10);
    const holder = new Int32Array(new SharedArrayBuffer(4));
    const h = startWorker(entry, { op: "hold", handle: toHandle(q), flag: holder });
    const owner = h.threadId + 1;
    await until(() => Atomics.load(holder, 0) === 1, "the holder inside the mutex");
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const getter = startWorker(entry, { op: "get", handle: toHandle(q), flag });
    const got = new Promise((resolve, reject) => {
      getter.once("message", resolve);
      getter.once("error", reject);
    });
    await until(() => Atomics.load(flag, 0) === 1, "the getter started");
    // The getter now spins, then sleeps in slices, on the GET mutex word (it cannot get past it).
    await until(() => (Atomics.load(q._store.meta, Q_GET_MUTEX) & 1) === 1, "the getter asleep on the mutex");
    await withinBooted(h.terminate(), 20_000, "terminate");
    await until(() => isDead(owner), "the death is recorded");
    // The main thread must not touch the queue here (it would take the mutex over itself): the getter does.
    await until(
      () => Atomics.load(q._store.meta, Q_GET_MUTEX) >>> 1 !== owner,
      "the getter took the mutex over",
    );
    q.putNowait(7);
    assert.equal(await withinBooted(got, 20_000, "the getter's item"), 7);
  });

  it("workers terminated anywhere in a put/get loop leave the queue consistent and usable", async () => {
    const q = new Queue<number | string>(4);
    for (let round = 0; round < 12; round++) {
      await killed("churn", q, 2 + (round % 4));
      const n = q.qsize();
      assert.ok(n === 0 || n === 1, `round ${round}: ${n} items after a put/get pair was cut short`);
      const left: unknown[] = [];
      while (!q.empty()) left.push(q.getNowait());
      assert.ok(
        left.every((x) => (typeof x === "number" ? x % 2 === 0 : /^\d*[13579]x{200}$/.test(String(x)))),
        `round ${round}: what was left is a whole item: ${left}`,
      );
      q.putNowait(-1);
      assert.equal(q.getNowait(), -1);
      assert.deepEqual(words(q), [0, 0]);
    }
  });
});
