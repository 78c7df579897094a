/**
 * The local tier's core: how a waiter is rejected. Waiters that nothing can reject take no reject function
 * (a measured cost); these tests hold that this never delays or loses a rejection where one can happen.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fail, WaiterQueue } from "../../src/local/waiter-queue.ts";

/** Records, in order, how each promise settled. */
function watch(promises: Record<string, Promise<unknown>>): string[] {
  const order: string[] = [];
  for (const [name, p] of Object.entries(promises)) {
    p.then(
      (v) => order.push(`${name} resolved ${String(v)}`),
      (e: unknown) => order.push(`${name} rejected ${(e as Error).message}`),
    );
  }
  return order;
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("local WaiterQueue: rejections", () => {
  it("a queue that rejects its waiters settles a failed one as promptly as a woken one, in the order given", async () => {
    const q = new WaiterQueue<number>(() => 0, true);
    const order = watch({ a: q.wait(Infinity), b: q.wait(Infinity), c: q.wait(Infinity) });
    assert.ok(fail(q, new Error("a failed")));
    assert.ok(q.wake(2));
    assert.ok(fail(q, new Error("c failed")));
    await settled();
    assert.deepEqual(order, ["a rejected a failed", "b resolved 2", "c rejected c failed"]);
    assert.equal(q.size, 0);
  });

  it("a timeout that throws rejects the waiter with what it threw", async () => {
    const q = new WaiterQueue<number>(() => {
      throw new Error("too late");
    }, true);
    const order = watch({ a: q.wait(5) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(order, ["a rejected too late"]);
    assert.equal(q.size, 0);
  });

  it("an abort rejects with the signal's reason in any queue, as promptly as a wake", async () => {
    const q = new WaiterQueue<boolean>(() => false); // a queue that never fails its waiters itself
    const ac = new AbortController();
    const order = watch({ a: q.wait(Infinity, ac.signal), b: q.wait(Infinity) });
    ac.abort(new Error("a gave up"));
    assert.ok(q.wake(true));
    await settled();
    assert.deepEqual(order, ["a rejected a gave up", "b resolved true"]);
  });

  it("failing a waiter of a queue said not to reject still rejects it, with the reason (a few microtasks later)", async () => {
    const q = new WaiterQueue<boolean>(() => false);
    const order = watch({ a: q.wait(Infinity), b: q.wait(Infinity) });
    assert.ok(fail(q, new Error("a failed")));
    assert.ok(q.wake(true));
    await settled();
    assert.deepEqual([...order].sort(), ["a rejected a failed", "b resolved true"]);
    assert.equal(q.size, 0);
  });
});
