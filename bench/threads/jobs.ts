/**
 * What the benchmark workers run (./worker.ts calls these on request from ./pool.ts). Each contender has
 * its own loop, written out. Every job returns the hrtime (ns) at which its timed part started and ended,
 * so the main thread can time a job spread over two workers from the first start to the last end.
 */

import type { MessagePort } from "node:worker_threads";
import { type Condition, fromHandle, type Handle } from "threadkit/threads";
import {
  barrierWait,
  futexLock,
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
  gate: Int32Array;
  /** [lock word, counter] */
  words: Int32Array;
  lock: Handle<"Lock">;
}

/** `n` increments of words[1], each under the lock (a plain read-modify-write: the lock must exclude). */
export async function count({ contender, n, gate: g, words, lock: h }: CountArgs): Promise<Span> {
  const lock = fromHandle(h);
  const mt =
    contender === "multithreading Mutex blockingLock()"
      ? new (await importMultithreading()).Mutex(undefined, words.buffer as SharedArrayBuffer) // words[0]
      : undefined;
  gate(g, 2);
  const start = now();
  switch (contender) {
    case "futex mutex":
      for (let i = 0; i < n; i++) {
        futexLock(words, 0);
        words[1]!++;
        futexUnlock(words, 0);
      }
      break;
    case "futex mutex, spin 100":
      for (let i = 0; i < n; i++) {
        spinFutexLock(words, 0);
        words[1]!++;
        futexUnlock(words, 0);
      }
      break;
    case "no lock: Atomics.add":
      for (let i = 0; i < n; i++) Atomics.add(words, 1, 1);
      break;
    case "threadkit Lock acquireSync()":
      for (let i = 0; i < n; i++) {
        lock.acquireSync();
        words[1]!++;
        lock.release();
      }
      break;
    case "threadkit Lock await acquire()":
      for (let i = 0; i < n; i++) {
        await lock.acquire();
        words[1]!++;
        lock.release();
      }
      break;
    case "multithreading Mutex blockingLock()":
      for (let i = 0; i < n; i++) {
        const guard = mt!.blockingLock();
        words[1]!++;
        guard.dispose();
      }
      break;
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  return { start, end: now() };
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

/** `n` round trips; side 0 starts each one, side 1 answers. */
export async function ping(a: PingArgs): Promise<Span> {
  const { contender, n, side, words } = a;
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
  return { start, end: now() };
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
