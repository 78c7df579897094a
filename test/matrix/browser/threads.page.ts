/**
 * The threads tier in a cross-origin isolated page: the main thread (which may not block, so only the async
 * forms) and module Web Workers (./threads-agent.worker.ts, blocking forms) share primitives passed by
 * toHandle, and they stay live and exact across threads.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Barrier, Event, Lock, Queue, toHandle } from "../../../src/threads/index.ts";
import { within } from "../../helpers.ts";
import { run } from "./harness.ts";
import "./thread.spec.ts";

/** Starts a module worker on `job`; resolves what it posts back, rejects with what it reports failing. */
function agent(job: Record<string, unknown>): Promise<unknown> {
  const worker = new Worker(new URL("./threads-agent.worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (m: MessageEvent<{ ok?: unknown; error?: string }>) => {
      worker.terminate();
      if (m.data.error !== undefined) reject(new Error(m.data.error));
      else resolve(m.data.ok);
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`the worker failed: ${e.message}`));
    };
    worker.postMessage(job);
  });
}

describe("threads tier in Chromium, main thread and module Web Workers", () => {
  it("is cross-origin isolated, and the main thread may not block", () => {
    assert.equal(crossOriginIsolated, true);
    assert.throws(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0));
  });

  it("a Lock keeps plain increments of three threads whole (two workers blocking, the main thread async)", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const times = 2_000;
    const workers = [1, 2].map(() => agent({ op: "count", lock: toHandle(lock), counter, times }));
    for (let i = 0; i < times; i++) {
      await lock.acquire();
      counter[0] = (counter[0] as number) + 1;
      lock.release();
    }
    await within(Promise.all(workers), 60_000);
    assert.equal(counter[0], 3 * times);
    assert.equal(lock.locked(), false);
  });

  it("a bounded Queue carries every item of two producing workers to the main thread, each once", async () => {
    const queue = new Queue<number>(4);
    const a = Array.from({ length: 200 }, (_, i) => i);
    const b = Array.from({ length: 200 }, (_, i) => 1000 + i);
    const producers = [a, b].map((items) => agent({ op: "produce", queue: toHandle(queue), items }));
    const got: number[] = [];
    for (let i = 0; i < a.length + b.length; i++)
      got.push(await within(queue.get({ timeout: 30_000 }), 40_000));
    await within(Promise.all(producers), 30_000);
    assert.deepEqual(
      got.filter((n) => n < 1000),
      a,
      "one producer's items in its order",
    );
    assert.deepEqual(
      got.filter((n) => n >= 1000),
      b,
    );
    assert.equal(queue.empty(), true);
  });

  it("a Barrier of three releases two blocked workers and the main thread together", async () => {
    const barrier = new Barrier(3);
    const workers = [1, 2].map(() => agent({ op: "barrier", barrier: toHandle(barrier) }));
    const mine = await within(barrier.wait({ timeout: 30_000 }), 40_000);
    const indices = [mine, ...((await within(Promise.all(workers), 40_000)) as number[])];
    assert.deepEqual([...indices].sort(), [0, 1, 2]);
  });

  it("an Event set on the main thread wakes a worker blocked in waitSync", async () => {
    const event = new Event();
    const waiter = agent({ op: "waitEvent", event: toHandle(event) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    event.set();
    assert.equal(await within(waiter, 40_000), true);
  });
});

(globalThis as { __results?: unknown }).__results = await run();
