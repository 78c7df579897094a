/**
 * Randomized kill tests: workers loop on one primitive, blocking and async, while the test kills one of them
 * at random every 20-90 ms, by terminate(), process.exit() or an uncaught error, and starts another in its
 * place. Checked: no double holder (a Lock's, an RLock's, a Semaphore's critical section), no item got twice,
 * no item lost beyond one per consumer terminated (it may die holding what it got), no hang (the live workers
 * go on after every kill, and once all are gone the primitive still serves a newcomer), no permit lost or
 * made. Seeded: the seed is printed; `SEED=n` replays a run's choices (not the threads' timing), `KILLS=n`
 * sets the kills per primitive (a few by default, so that the whole file stays well under a minute in CI).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { Barrier } from "../../src/threads/barrier.ts";
import { Condition } from "../../src/threads/condition.ts";
import { Event } from "../../src/threads/event.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { CAPACITY, CELL, CELL_OWNER, HEADER, SLEEPING, WAITING } from "../../src/threads/layout.ts";
import { isDead } from "../../src/threads/liveness.ts";
import { Lock } from "../../src/threads/lock.ts";
import { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "../../src/threads/queue.ts";
import { RLock } from "../../src/threads/rlock.ts";
import { Semaphore } from "../../src/threads/semaphore.ts";
import { sleep } from "../helpers.ts";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";
import { until } from "./util.ts";

after(terminateAll);

const KILLS = Number(process.env.KILLS ?? 3);
const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 4; // two blocking, two async
const PERMITS = 2;
const ITEMS = 1 << 20;
/** Shared words (the same in ./kill-worker.ts). */
const ERRORS = 0;
const OPS = 1;

/** mulberry32: the run's choices (delays, victims, deaths) from SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const words = (n: number) => new Int32Array(new SharedArrayBuffer(n * 4));

interface Run {
  kills: number;
  terminated: number;
  ops: number;
}

type Made = Lock | RLock | Semaphore | Event | Condition | Barrier | Queue<unknown> | SimpleQueue<unknown>;

/** Kills workers looping on `p` KILLS times; returns what happened, with the shared words for the checks. */
async function churn(kind: string, p: Made, seed: number, items: Int32Array, log: Int32Array): Promise<Run> {
  const rand = random(seed);
  const inside = words(WORKERS);
  const alive = words(WORKERS);
  const die = words(WORKERS);
  const workers: (Worker | undefined)[] = [];
  const exits: Promise<unknown>[] = [];
  const handle = toHandle(p as Lock);
  const spawn = (w: number): void => {
    Atomics.store(inside, w, 0);
    Atomics.store(die, w, 0);
    Atomics.store(alive, w, 1);
    const worker = startWorker(new URL("./kill-worker.ts", import.meta.url), {
      kind,
      handle,
      index: w,
      sync: w % 2 === 0,
      log,
      inside,
      alive,
      die,
      items,
      permits: PERMITS,
    });
    worker.on("error", () => {}); // the deaths by an uncaught error
    workers[w] = worker;
    exits[w] = new Promise((resolve) => worker.once("exit", resolve));
  };
  for (let w = 0; w < WORKERS; w++) spawn(w);
  const setter = p instanceof Event ? setInterval(() => p.set(), 5) : undefined;
  let terminated = 0;
  try {
    for (let k = 0; k < KILLS; k++) {
      await sleep(20 + Math.floor(rand() * 70));
      const w = Math.floor(rand() * WORKERS);
      const how = rand();
      const worker = workers[w]!;
      const owner = worker.threadId + 1;
      Atomics.store(alive, w, 0); // its critical section no longer counts: it may be stopped inside
      if (how < 0.6) {
        terminated++;
        void worker.terminate();
      } else {
        // At the top of its loop: an exit or a throw, unless it is blocked in a call for long (then terminated).
        Atomics.store(die, w, how < 0.8 ? 1 : 2);
        const gone = await Promise.race([exits[w], sleep(2_000).then(() => false)]);
        if (gone === false) {
          terminated++;
          void worker.terminate();
        }
      }
      await withinBooted(exits[w]!, 20_000, "the victim's exit");
      const deadline = performance.now() + 20_000;
      while (!isDead(owner)) {
        assert.ok(performance.now() < deadline, "the death is recorded");
        await sleep(2);
      }
      spawn(w);
      // No hang: the workers go on (a few operations within a generous deadline).
      const ops = Atomics.load(log, OPS);
      await until(
        () => Atomics.load(log, OPS) >= ops + 3,
        `seed ${seed}: no progress after kill ${k} (a hang)`,
        30_000,
      );
    }
  } finally {
    clearInterval(setter);
    const owners = workers.map((w) => w!.threadId + 1);
    // The survivors leave at the top of their loops, so that a consumer's last item is counted as got; one
    // blocked in a call for long is terminated, and counted (it may die holding what it got).
    for (let w = 0; w < WORKERS; w++) Atomics.store(die, w, 1);
    const late = sleep(2_000).then(() => false);
    const left = await Promise.all(exits.map((exit) => Promise.race([exit.then(() => true), late])));
    terminated += left.filter((gone) => !gone).length;
    await Promise.all(workers.map((w) => w!.terminate()));
    const deadline = performance.now() + 20_000;
    while (!owners.every((o) => isDead(o)) && performance.now() < deadline) await sleep(2);
  }
  return { kills: KILLS, terminated, ops: Atomics.load(log, OPS) };
}

/** Acquires, counting an OwnerDiedError (it holds what it inherited) as acquired. */
async function acquired(p: Lock | RLock | Semaphore, timeout = 15_000): Promise<boolean> {
  try {
    return await withinBooted(p.acquire({ timeout }), timeout + 5_000);
  } catch (e) {
    if (e instanceof OwnerDiedError) return true;
    throw e;
  }
}

/** No live waiter is left in a FIFO: every waiting cell is a dead thread's (freed by the next hand-off). */
function noStranded(i32: Int32Array): void {
  for (let k = 0; k < CAPACITY; k++) {
    const cell = HEADER + k * CELL;
    const s = Atomics.load(i32, cell);
    const dead = isDead(Atomics.load(i32, cell + CELL_OWNER));
    assert.ok((s !== WAITING && s !== SLEEPING) || dead, `cell ${k} of a live thread still waits`);
  }
}

const kinds: [string, () => Made][] = [
  ["Lock", () => new Lock()],
  ["RLock", () => new RLock()],
  ["Semaphore", () => new Semaphore(PERMITS)],
  ["Event", () => new Event()],
  ["Condition", () => new Condition()],
  ["Barrier", () => new Barrier(3)],
  ["Queue", () => new Queue(8)],
  ["LifoQueue", () => new LifoQueue(8)],
  ["PriorityQueue", () => new PriorityQueue(8)],
  ["SimpleQueue", () => new SimpleQueue()],
];

describe(`threads: workers killed at random (KILLS=${KILLS} per primitive, SEED=${SEED})`, () => {
  kinds.forEach(([kind, make], i) => {
    it(`${kind}: no double holder, no hang, nothing lost or duplicated`, async (t) => {
      const seed = (SEED + i * 7919) >>> 0;
      t.diagnostic(`seed ${seed}`);
      const p = make();
      const items = words(ITEMS);
      const log = words(4);
      const run = await churn(kind, p, seed, items, log);
      t.diagnostic(
        `${run.kills} kills, ${run.terminated} workers terminated (those left at the end included), ${run.ops} operations`,
      );
      assert.equal(Atomics.load(log, ERRORS), 0, `seed ${seed}: invariant violations seen by the workers`);
      if (p instanceof Lock || p instanceof RLock) {
        assert.equal(await acquired(p), true, `seed ${seed}: a newcomer gets it`);
        p.release();
        assert.equal(p.locked(), false);
        noStranded(p._core.i32);
      } else if (p instanceof Semaphore) {
        for (let k = 0; k < PERMITS; k++)
          assert.equal(await acquired(p), true, `seed ${seed}: permit ${k} lost`);
        assert.equal(p.tryAcquire(), false, `seed ${seed}: a permit was made`);
        p.release(PERMITS);
        assert.equal(p.value, PERMITS);
        noStranded(p._core.i32);
      } else if (p instanceof Event) {
        p.clear();
        const waiting = p.wait({ timeout: 15_000 });
        p.set();
        assert.equal(await withinBooted(waiting, 20_000), true);
        noStranded(p._core.i32);
      } else if (p instanceof Condition) {
        assert.equal(await acquired(p._lock), true, `seed ${seed}: the lock is free`);
        p.notifyAll();
        p.release();
        noStranded(p._core.i32);
      } else if (p instanceof Barrier) {
        p.reset();
        const indices = await withinBooted(
          Promise.all([0, 1, 2].map(() => p.wait({ timeout: 15_000 }))),
          20_000,
        );
        assert.deepEqual(indices.sort(), [0, 1, 2], `seed ${seed}: a fresh round forms`);
        noStranded(p._core.i32);
      } else {
        const q = (p instanceof SimpleQueue ? p._queue : p) as Queue<number | [number, number]>;
        for (let n = q.qsize(); n > 0; n--) {
          const got = q.getNowait();
          const item = Array.isArray(got) ? got[1] : got;
          const was = Atomics.exchange(items, item, 3);
          assert.ok(was === 1 || was === 2, `seed ${seed}: item ${item} got twice`);
        }
        let lost = 0;
        for (let n = 0; n < ITEMS; n++) if (items[n] === 2) lost++;
        assert.ok(
          lost <= run.terminated,
          `seed ${seed}: ${lost} items put and never got (${run.terminated} terminated)`,
        );
        t.diagnostic(`${lost} items in flight in a terminated consumer`);
        for (const core of q._cores()) noStranded(core.i32);
        q.putNowait(1);
        assert.equal(await withinBooted(q.get({ timeout: 15_000 })), 1, "the queue still works");
      }
    });
  });
});
