/**
 * The async iterator of a queue (src/internal/drain.ts) where other threads take items between its look at
 * qsize() and its take: the race the contract suites can only hit by chance, played out on a stub queue.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueueEmpty, QueueShutDown } from "../../src/api/errors.ts";
import { Drain, type Drainable } from "../../src/internal/drain.ts";

/** A queue that reports one item, but whose item another thread takes first: getNowait throws `error`. */
function raced(error: Error, get: () => Promise<number>): Drainable<number> & { done: number } {
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
    assert.deepEqual(await new Drain(q).next(), { done: false, value: 7 });
  });

  it("QueueShutDown (shut down meanwhile, so drained): the loop ends, as when get() rejects with it", async () => {
    const q = raced(new QueueShutDown(), () => assert.fail("no get once it is shut down"));
    assert.deepEqual(await new Drain(q).next(), { done: true, value: undefined });
  });

  it("any other error rejects the loop", async () => {
    const q = raced(new TypeError("broken"), () => assert.fail("no get after a real error"));
    await assert.rejects(new Drain(q).next(), TypeError);
  });
});
