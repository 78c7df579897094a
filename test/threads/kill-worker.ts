/**
 * Worker entry of ./kill.test.ts: loops on one primitive until it is killed (terminate(), or, when the test
 * sets its `die` word, process.exit() or an uncaught error), blocking (`sync`) or async, recording in shared
 * words what the test checks. Words of `log` (Int32): see LOG in ./kill.test.ts.
 */
import { workerData } from "node:worker_threads";
import { OwnerDiedError } from "../../src/api/errors.ts";
import type { Barrier } from "../../src/threads/barrier.ts";
import type { Condition } from "../../src/threads/condition.ts";
import type { Event } from "../../src/threads/event.ts";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Lock } from "../../src/threads/lock.ts";
import type { Queue } from "../../src/threads/queue.ts";
import type { RLock } from "../../src/threads/rlock.ts";
import type { Semaphore } from "../../src/threads/semaphore.ts";

const { kind, handle, index, sync, log, inside, alive, die, items, permits } = workerData as {
  kind: string;
  handle: Handle;
  index: number;
  sync: boolean;
  log: Int32Array;
  inside: Int32Array;
  alive: Int32Array;
  die: Int32Array;
  items: Int32Array;
  permits: number;
};

/** Shared words (the same in ./kill.test.ts). */
const ERRORS = 0; // invariant violations seen
const OPS = 1; // operations completed, all workers
const NEXT_ITEM = 2; // the next item number to put

const spin = new Int32Array(new SharedArrayBuffer(4));
const live = fromHandle(handle) as unknown;

function dieIfTold(): void {
  const how = Atomics.load(die, index);
  if (how === 1) process.exit(3);
  if (how === 2) throw new Error("dies on purpose");
}

function fail(): void {
  Atomics.add(log, ERRORS, 1);
}

/** Whether more than `max` live workers are inside the critical section now (this one included). */
function crowded(max: number): boolean {
  let n = 0;
  for (let w = 0; w < inside.length; w++)
    if (Atomics.load(inside, w) === 1 && Atomics.load(alive, w) === 1) n++;
  return n > max;
}

async function take(p: Lock | RLock | Semaphore): Promise<void> {
  try {
    if (sync) p.acquireSync({ timeout: 60_000 }) || fail();
    else (await p.acquire({ timeout: 60_000 })) || fail();
  } catch (e) {
    if (!(e instanceof OwnerDiedError)) throw e; // held, inherited from a thread that died holding it
  }
}

async function exclusive(p: Lock | RLock | Semaphore, max: number, reenter: boolean): Promise<void> {
  await take(p);
  if (reenter) await take(p);
  Atomics.store(inside, index, 1);
  if (crowded(max)) fail();
  Atomics.wait(spin, 0, 0, Math.random() < 0.3 ? 1 : 0);
  if (crowded(max)) fail();
  Atomics.store(inside, index, 0);
  if (reenter) p.release();
  p.release();
}

async function step(): Promise<void> {
  switch (kind) {
    case "Lock":
      return exclusive(live as Lock, 1, false);
    case "RLock":
      return exclusive(live as RLock, 1, true);
    case "Semaphore":
      return exclusive(live as Semaphore, permits, false);
    case "Event": {
      const ev = live as Event;
      if (Math.random() < 0.4) ev.set();
      else if (Math.random() < 0.5) ev.clear();
      // The test sets it every few ms too: a long wait is a hang.
      const ok = sync ? ev.waitSync({ timeout: 60_000 }) : await ev.wait({ timeout: 60_000 });
      if (!ok) fail();
      return;
    }
    case "Condition": {
      const cond = live as Condition;
      await take(cond._lock);
      if (Math.random() < 0.5) {
        cond.notifyAll();
      } else {
        // Woken by a notify or by the timeout: either is fine, a hang is not (it holds the lock again).
        try {
          if (sync) cond.waitSync({ timeout: 20 });
          else await cond.wait({ timeout: 20 });
        } catch (e) {
          if (!(e instanceof OwnerDiedError)) throw e;
        }
      }
      cond.release();
      return;
    }
    case "Barrier": {
      const b = live as Barrier;
      try {
        if (sync) b.waitSync({ timeout: 200 });
        else await b.wait({ timeout: 200 });
      } catch (e) {
        if ((e as { code?: string }).code !== "ERR_BROKEN_BARRIER") throw e;
        b.reset();
      }
      return;
    }
    default: {
      const q = live as Queue<number | [number, number]>;
      const priority = kind === "PriorityQueue";
      // Workers 0 and 1 put, 2 and 3 get: a bounded queue whose every worker waits to put would wait for good.
      if (index < 2) {
        const n = Atomics.add(log, NEXT_ITEM, 1);
        if (n >= items.length) return;
        Atomics.store(items, n, 1); // being put
        const item = priority ? ([n % 7, n] as [number, number]) : n;
        if (sync) q.putSync(item, { timeout: 60_000 });
        else await q.put(item, { timeout: 60_000 });
        Atomics.compareExchange(items, n, 1, 2); // put (unless a consumer got it already)
      } else {
        const got = sync ? q.getSync({ timeout: 30 }) : await q.get({ timeout: 30 });
        const n = Array.isArray(got) ? got[1] : got;
        // 2 (put) or 1 (its put has not returned yet): got once; anything else is a duplicate or a stranger.
        const was = Atomics.exchange(items, n, 3);
        if (was !== 1 && was !== 2) fail();
      }
    }
  }
}

for (;;) {
  dieIfTold();
  try {
    await step();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "ERR_QUEUE_EMPTY" && code !== "ERR_QUEUE_FULL") throw e;
  }
  Atomics.add(log, OPS, 1);
  if (!sync) await null;
}
