/**
 * The async iterator of a queue (src/internal/drain.ts) where other threads take items between its look at
 * qsize() and its take: the race the contract suites can only hit by chance, played out on a stub queue.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueueEmpty, QueueShutDown } from "../../src/api/errors.ts";
import { Drain, type Drainable, type NowDrainable } from "../../src/internal/drain.ts";

/** A queue that reports one item, but whose item another thread takes first: getNowait throws `error`. */
function raced(error: Error, get: () => Promise<number>): NowDrainable<number> & { done: number } {
  return {
    done: 0,
    qsize: () => 1,
    getNowait: () => {
      throw error;
    },
    get,
    taskDone() {
      this.done++;
    },
  };
}

describe("Drain: an item taken by another thread between qsize() and getNowait()", () => {
  it("QueueEmpty: it waits with get() instead", async () => {
    const q = raced(new QueueEmpty(), () => Promise.resolve(7));
    assert.deepEqual(await new Drain(q, q).next(), { done: false, value: 7 });
  });

  it("QueueShutDown (shut down meanwhile, so drained): the loop ends, as when get() rejects with it", async () => {
    const q = raced(new QueueShutDown(), () => assert.fail("no get once it is shut down"));
    assert.deepEqual(await new Drain(q, q).next(), { done: true, value: undefined });
  });

  it("any other error rejects the loop", async () => {
    const q = raced(new TypeError("broken"), () => assert.fail("no get after a real error"));
    await assert.rejects(new Drain(q, q).next(), TypeError);
  });
});

/**
 * A queue whose non-waiting calls are round trips (as on Redis): `taskDone()` returns a promise, and each call
 * is logged, so the order the iterator makes them in can be checked.
 */
function remote(items: number[], failTaskDone = false): Drainable<number> & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    get() {
      log.push("get");
      const item = items.shift();
      return item === undefined ? Promise.reject(new QueueShutDown()) : Promise.resolve(item);
    },
    taskDone() {
      log.push("taskDone");
      return new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          log.push("taskDone settled");
          if (failTaskDone) reject(new Error("lost"));
          else resolve();
        }),
      );
    },
  };
}

describe("Drain over a queue whose taskDone() is a round trip", () => {
  it("awaits each taskDone() before the next get, and ends at shutdown once drained", async () => {
    const q = remote([1, 2]);
    const seen: number[] = [];
    for await (const item of { [Symbol.asyncIterator]: () => new Drain(q) }) seen.push(item);
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(q.log, [
      "get",
      "taskDone",
      "taskDone settled",
      "get",
      "taskDone",
      "taskDone settled",
      "get",
    ]);
  });

  it("a loop that leaves early has its last taskDone() settled when return() resolves", async () => {
    const q = remote([1, 2]);
    for await (const item of { [Symbol.asyncIterator]: () => new Drain(q) }) {
      assert.equal(item, 1);
      break;
    }
    assert.deepEqual(q.log, ["get", "taskDone", "taskDone settled"]);
  });

  it("a taskDone() that fails rejects the next step instead of going unseen", async () => {
    const q = remote([1, 2], true);
    const drain = new Drain(q);
    assert.deepEqual(await drain.next(), { done: false, value: 1 });
    await assert.rejects(drain.next(), /lost/);
    assert.deepEqual(q.log, ["get", "taskDone", "taskDone settled"], "no get after the failed taskDone");
  });
});
