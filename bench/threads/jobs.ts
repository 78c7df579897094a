/**
 * What the benchmark workers run (./worker.ts calls these on request from ./pool.ts). Each contender has
 * its own loop, written out. Every job returns the hrtime (ns) at which its timed part started and ended,
 * so the main thread can time a job spread over two workers from the first start to the last end.
 */

import { readFileSync } from "node:fs";
import type { MessagePort } from "node:worker_threads";
import { type Condition, fromHandle, type Handle } from "threadkit/threads";
import {
  barrierWait,
  futexLock,
  futexSleeps,
  futexUnlock,
  mpmcPop,
  mpmcPush,
  pingPong,
  RING_CAP,
  ringPop,
  ringPopLocked,
  ringPush,
  ringPushLocked,
  spinFutexLock,
} from "../floors/atomics.ts";
import { importMultithreading } from "./multithreading.ts";

export interface Span {
  start: number;
  end: number;
  /** A figure the job counted, for the main thread to check (a sum, a count). */
  check?: number;
}

const now = () => Number(process.hrtime.bigint());

/** Both workers of a two-worker job start together: each arrives, then spins until both have. */
function gate(g: Int32Array, parties: number): void {
  Atomics.add(g, 0, 1);
  while (Atomics.load(g, 0) < parties);
}

// ------------------------------------------------------------------------------------------ uncontended

export interface UncontendedArgs {
  contender: string;
  n: number;
  word: Int32Array;
  lock: Handle<"Lock">;
}

export async function uncontended({ contender, n, word, lock: h }: UncontendedArgs): Promise<Span> {
  const start = now();
  switch (contender) {
    case "CAS + store": {
      for (let i = 0; i < n; i++) {
        if (Atomics.compareExchange(word, 0, 0, 1) !== 0) throw new Error("taken");
        Atomics.store(word, 0, 0);
      }
      break;
    }
    case "futex mutex": {
      for (let i = 0; i < n; i++) {
        futexLock(word, 0);
        futexUnlock(word, 0);
      }
      break;
    }
    case "threadkit Lock acquireSync()": {
      const lock = fromHandle(h);
      for (let i = 0; i < n; i++) {
        lock.acquireSync();
        lock.release();
      }
      break;
    }
    case "threadkit Lock tryAcquire()": {
      const lock = fromHandle(h);
      for (let i = 0; i < n; i++) {
        if (!lock.tryAcquire()) throw new Error("taken");
        lock.release();
      }
      break;
    }
    case "threadkit Lock await acquire()": {
      const lock = fromHandle(h);
      for (let i = 0; i < n; i++) {
        await lock.acquire();
        lock.release();
      }
      break;
    }
    case "multithreading Mutex blockingLock()": {
      const { Mutex } = await importMultithreading();
      const m = new Mutex(undefined, word.buffer as SharedArrayBuffer);
      for (let i = 0; i < n; i++) m.blockingLock().dispose();
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  return { start, end: now() };
}

// ------------------------------------------------------------------------------------------ contended

export interface CountArgs {
  contender: string;
  n: number;
  /** This worker's number (0 or 1): what it writes in the last-owner word. */
  me: number;
  gate: Int32Array;
  /** [lock word, ...]: the counter and the last-owner word at `at` and `at + 1` (see COUNTER, APART). */
  words: Int32Array;
  /** Where the counter is: on the floor's lock word's cache line (COUNTER) or on a line of its own (APART). */
  at: number;
  lock: Handle<"Lock">;
}

/** The counter's word next to the floor's lock word (one cache line), or 64 bytes away from it. */
export const COUNTER = 1;
export const APART = 16;

/**
 * What a contended job saw, besides its time: how many of its increments found the last one made by the
 * other worker (the lock changed hands), how many acquires found the lock taken (their first try failed),
 * how many times the thread really slept in Atomics.wait, and its longest contended acquire (from the
 * failed try to the release after it, ns).
 */
export interface Contention {
  changes: number;
  contended: number;
  slept: number;
  longest: number;
  /** ns this thread spent on a core during its timed part (NaN where the kernel does not say). */
  cpu: number;
}

/**
 * ns the calling thread has spent on a core (Linux's /proc/thread-self/schedstat), NaN elsewhere. Two
 * workers whose time on a core adds up to twice the span really ran side by side; to once the span, one
 * after the other on one core (the scheduler's choice, not the lock's).
 */
export function threadCpu(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}

/** The core's count of real sleeps (see src/threads/futex.ts), read from the build the workers import. */
const core = (await import(new URL("../../dist/threads/futex.js", import.meta.url).href).catch(
  () => ({}),
)) as {
  sleeps?: { count: number };
};
const sleepsOf = (floor: boolean): number => (floor ? futexSleeps.count : (core.sleeps?.count ?? Number.NaN));

/**
 * `n` increments of the counter, each under the lock (a plain read-modify-write: the lock must exclude).
 * Every loop is the same instrumented shape: try once; if that fails, note the time, acquire, and after
 * the release (never inside the critical section) count the wait. Inside, one compare of the last-owner
 * word, written only when the lock changed hands.
 */
export async function count(a: CountArgs): Promise<Span & Contention> {
  const { contender, n, me, gate: g, words, at } = a;
  const lock = fromHandle(a.lock);
  const mt =
    contender === "multithreading Mutex blockingLock()"
      ? new (await importMultithreading()).Mutex(undefined, words.buffer as SharedArrayBuffer) // words[0]
      : undefined;
  const last = at + 1;
  let changes = 0;
  let contended = 0;
  let longest = 0;
  const floor = contender.startsWith("futex mutex");
  const slept0 = sleepsOf(floor);
  gate(g, 2);
  const cpu0 = threadCpu();
  const start = now();
  switch (contender) {
    case "futex mutex":
    case "futex mutex, counter apart":
      for (let i = 0; i < n; i++) {
        let t0 = 0;
        if (Atomics.compareExchange(words, 0, 0, 1) !== 0) {
          t0 = now();
          futexLock(words, 0);
        }
        if (words[last] !== me) {
          words[last] = me;
          changes++;
        }
        words[at]!++;
        futexUnlock(words, 0);
        if (t0 !== 0) {
          contended++;
          const dt = now() - t0;
          if (dt > longest) longest = dt;
        }
      }
      break;
    case "futex mutex, spin 100":
      for (let i = 0; i < n; i++) {
        let t0 = 0;
        if (Atomics.compareExchange(words, 0, 0, 1) !== 0) {
          t0 = now();
          spinFutexLock(words, 0);
        }
        if (words[last] !== me) {
          words[last] = me;
          changes++;
        }
        words[at]!++;
        futexUnlock(words, 0);
        if (t0 !== 0) {
          contended++;
          const dt = now() - t0;
          if (dt > longest) longest = dt;
        }
      }
      break;
    case "no lock: Atomics.add":
      for (let i = 0; i < n; i++) Atomics.add(words, at, 1);
      break;
    case "threadkit Lock acquireSync()":
    case "threadkit Lock acquireSync(), counter apart":
      for (let i = 0; i < n; i++) {
        let t0 = 0;
        if (!lock.tryAcquire()) {
          t0 = now();
          lock.acquireSync();
        }
        if (words[last] !== me) {
          words[last] = me;
          changes++;
        }
        words[at]!++;
        lock.release();
        if (t0 !== 0) {
          contended++;
          const dt = now() - t0;
          if (dt > longest) longest = dt;
        }
      }
      break;
    case "threadkit Lock await acquire()":
      for (let i = 0; i < n; i++) {
        let t0 = 0;
        if (!lock.tryAcquire()) {
          t0 = now();
          await lock.acquire();
        }
        if (words[last] !== me) {
          words[last] = me;
          changes++;
        }
        words[at]!++;
        lock.release();
        if (t0 !== 0) {
          contended++;
          const dt = now() - t0;
          if (dt > longest) longest = dt;
        }
      }
      break;
    case "multithreading Mutex blockingLock()":
      for (let i = 0; i < n; i++) {
        const guard = mt!.blockingLock();
        if (words[last] !== me) {
          words[last] = me;
          changes++;
        }
        words[at]!++;
        guard.dispose();
      }
      contended = Number.NaN;
      longest = Number.NaN;
      break;
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  const end = now();
  const slept =
    mt === undefined && contender !== "no lock: Atomics.add" && !contender.includes("await")
      ? sleepsOf(floor) - slept0
      : Number.NaN;
  return { start, end, changes, contended, slept, longest, cpu: threadCpu() - cpu0 };
}

// ------------------------------------------------------------------------------------------ hand-off

export interface PingArgs {
  contender: string;
  n: number;
  side: 0 | 1;
  gate: Int32Array;
  /** [turn] */
  words: Int32Array;
  ping: Handle<"Event">;
  pong: Handle<"Event">;
  cond: Handle<"Condition">;
  port: MessagePort;
}

/** `n` round trips; side 0 starts each one, side 1 answers. `slept`: this side's real sleeps (see `count`). */
export async function ping(a: PingArgs): Promise<Span & { slept: number }> {
  const { contender, n, side, words } = a;
  const floor = contender === "futex wait/notify" || contender === "spin 2000, then wait";
  const slept0 = sleepsOf(floor);
  gate(a.gate, 2);
  const start = now();
  switch (contender) {
    case "futex wait/notify":
      pingPong(words, 0, side, n, 0);
      break;
    case "spin 2000, then wait":
      pingPong(words, 0, side, n, 2000);
      break;
    case "threadkit Event waitSync()": {
      const ping = fromHandle(a.ping);
      const pong = fromHandle(a.pong);
      if (side === 0) {
        for (let i = 0; i < n; i++) {
          ping.set();
          pong.waitSync();
          pong.clear();
        }
      } else {
        for (let i = 0; i < n; i++) {
          ping.waitSync();
          ping.clear();
          pong.set();
        }
      }
      break;
    }
    case "threadkit Event await wait()": {
      const ping = fromHandle(a.ping);
      const pong = fromHandle(a.pong);
      if (side === 0) {
        for (let i = 0; i < n; i++) {
          ping.set();
          await pong.wait();
          pong.clear();
        }
      } else {
        for (let i = 0; i < n; i++) {
          await ping.wait();
          ping.clear();
          pong.set();
        }
      }
      break;
    }
    case "threadkit Condition waitSync()": {
      const cond: Condition = fromHandle(a.cond);
      for (let i = 0; i < n; i++) {
        cond.acquireSync();
        while (words[0] !== side) cond.waitSync();
        words[0] = 1 - side;
        cond.notify();
        cond.release();
      }
      break;
    }
    case "MessagePort echo": {
      const port = a.port;
      let got = 0;
      await new Promise<void>((resolve) => {
        port.on("message", (m: number) => {
          got++;
          if (side === 1) port.postMessage(m);
          if (got === n) resolve();
          else if (side === 0) port.postMessage(got);
        });
        if (side === 0) port.postMessage(0);
      });
      port.removeAllListeners("message");
      // Only the side that got the last message closes: a close can drop messages still in flight.
      if (side === 0) port.close();
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  const end = now();
  // An async wait (waitAsync) is not a blocking sleep: the core counts only those.
  const blocking = floor || (contender.startsWith("threadkit") && !contender.includes("await"));
  const slept = blocking ? sleepsOf(floor) - slept0 : Number.NaN;
  return { start, end, slept };
}

// ------------------------------------------------------------------------------------------ queues

/** The threads Queue as the design describes it (./API.md); typed here, since it may not be exported yet. */
export interface ThreadQueue<T> {
  putSync(item: T): void;
  getSync(): T;
}

export interface QueueArgs {
  contender: string;
  n: number;
  side: "producer" | "consumer";
  items: "objects" | "numbers";
  gate: Int32Array;
  ring: Int32Array;
  queue?: Handle;
  port: MessagePort;
}

const PAYLOAD = "x".repeat(32);
const objects = Array.from({ length: 1000 }, (_, id) => ({ id, payload: PAYLOAD }));

function itemAt(kind: QueueArgs["items"], i: number): unknown {
  return kind === "objects" ? objects[i % 1000] : i;
}

function idOf(x: unknown): number {
  return typeof x === "number" ? x : (x as { id: number }).id;
}

/** One side of a producer/consumer pair moving `n` items; the consumer sums what it got, to be checked. */
export async function transfer(a: QueueArgs): Promise<Span> {
  const { contender, n, side, items } = a;
  gate(a.gate, 2);
  const start = now();
  let sum = 0;
  switch (contender) {
    case "threadkit Queue putSync/getSync":
    case `threadkit Queue(${RING_CAP}) putSync/getSync`: {
      const q = (fromHandle as (h: Handle) => unknown)(a.queue!) as ThreadQueue<unknown>;
      if (side === "producer") for (let i = 0; i < n; i++) q.putSync(itemAt(items, i));
      else for (let i = 0; i < n; i++) sum += idOf(q.getSync());
      break;
    }
    case "MessagePort postMessage": {
      const port = a.port;
      if (side === "producer") {
        for (let i = 0; i < n; i++) port.postMessage(itemAt(items, i));
      } else {
        let got = 0;
        await new Promise<void>((resolve) => {
          port.on("message", (m: unknown) => {
            sum += idOf(m);
            if (++got === n) resolve();
          });
        });
        port.removeAllListeners("message");
        port.close(); // after the last message: a close can drop messages still in flight
      }
      break;
    }
    case "int32 ring, lock-free MPMC": {
      if (side === "producer") for (let i = 0; i < n; i++) mpmcPush(a.ring, RING_CAP, i, 2000);
      else for (let i = 0; i < n; i++) sum += mpmcPop(a.ring, RING_CAP, 2000);
      break;
    }
    // Each floor's loop calls its functions directly, as a floor should: through a variable that held
    // either, the call would have two targets, which V8 may not inline.
    case "int32 ring, spin 2000": {
      const cache = { seen: 0 };
      if (side === "producer") for (let i = 0; i < n; i++) ringPush(a.ring, RING_CAP, i, 2000, cache);
      else for (let i = 0; i < n; i++) sum += ringPop(a.ring, RING_CAP, 2000, cache);
      break;
    }
    case "int32 ring, a mutex per side": {
      const cache = { seen: 0 };
      if (side === "producer") for (let i = 0; i < n; i++) ringPushLocked(a.ring, RING_CAP, i, 2000, cache);
      else for (let i = 0; i < n; i++) sum += ringPopLocked(a.ring, RING_CAP, 2000, cache);
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  return { start, end: now(), check: sum };
}

/** Whether this thread can use a Queue handle: fromHandle accepts it and it has putSync/getSync. */
export function probeQueue({ queue }: { queue: Handle }): string {
  const q = (fromHandle as (h: Handle) => unknown)(queue) as Partial<ThreadQueue<unknown>>;
  if (typeof q.putSync !== "function" || typeof q.getSync !== "function") return "no putSync/getSync";
  return "ok";
}

// ------------------------------------------------------------------------------------------ barrier

export interface BarrierArgs {
  contender: string;
  n: number;
  gate: Int32Array;
  words: Int32Array;
  barrier?: Handle;
}

export async function cycles(a: BarrierArgs): Promise<Span> {
  const { contender, n } = a;
  gate(a.gate, 2);
  const start = now();
  switch (contender) {
    case "futex barrier, spin 2000":
      for (let i = 0; i < n; i++) barrierWait(a.words, 0, 2, 2000);
      break;
    case "threadkit Barrier(2) waitSync()": {
      const b = (fromHandle as (h: Handle) => unknown)(a.barrier!) as { waitSync(): number };
      for (let i = 0; i < n; i++) b.waitSync();
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  return { start, end: now() };
}
