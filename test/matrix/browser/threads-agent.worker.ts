/**
 * A module Web Worker of the threads page: gets primitives as handles, makes them live with fromHandle, does
 * what the message says with the blocking forms (a worker may block), and posts back what it saw.
 */
import { fromHandle, type Handle } from "../../../src/threads/handle.ts";
import type { Barrier, Event, Lock, Queue } from "../../../src/threads/index.ts";

type Job =
  | { op: "count"; lock: Handle; counter: Int32Array; times: number }
  | { op: "produce"; queue: Handle; items: number[] }
  | { op: "barrier"; barrier: Handle }
  | { op: "waitEvent"; event: Handle };

self.onmessage = (message: MessageEvent<Job>) => {
  const job = message.data;
  try {
    if (job.op === "count") {
      const lock = fromHandle(job.lock as Handle<"Lock">) as Lock;
      for (let i = 0; i < job.times; i++) {
        lock.acquireSync();
        job.counter[0] = (job.counter[0] as number) + 1; // a plain write: only the lock keeps it whole
        lock.release();
      }
      postMessage({ ok: true });
    } else if (job.op === "produce") {
      const queue = fromHandle(job.queue as Handle<"Queue">) as Queue<number>;
      for (const item of job.items) queue.putSync(item);
      postMessage({ ok: true });
    } else if (job.op === "barrier") {
      const barrier = fromHandle(job.barrier as Handle<"Barrier">) as Barrier;
      postMessage({ ok: barrier.waitSync({ timeout: 30_000 }) });
    } else {
      const event = fromHandle(job.event as Handle<"Event">) as Event;
      postMessage({ ok: event.waitSync({ timeout: 30_000 }) });
    }
  } catch (error) {
    postMessage({ error: String(error) });
  }
};
