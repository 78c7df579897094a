/**
 * Agent bodies of the queue suites (Queue, LifoQueue, PriorityQueue, SimpleQueue). Each is an exported async
 * function that talks to the test only through the primitives it is given and what it returns (plain,
 * structured-cloneable values), so that any tier can run it in its own kind of agent.
 */
import type * as api from "../../../src/api/primitives.ts";

function isShutDown(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_QUEUE_SHUT_DOWN";
}

/** Gets one item (waiting as long as it takes) and returns it. */
export async function queueGetOne<T>(queue: api.SimpleQueue<T>): Promise<T> {
  return await queue.get();
}

/** Puts one item (waiting for a free slot as long as it takes). */
export async function queuePutOne<T>(queue: api.SimpleQueue<T>, item: T): Promise<void> {
  await queue.put(item);
}

/**
 * Puts `id * 100_000 + i` for i = 0..count-1, in order, stopping at the first QueueShutDown; returns how
 * many items it put (so the items it put are exactly the first that many).
 */
export async function queueProduce(queue: api.Queue<number>, id: number, count: number): Promise<number> {
  for (let i = 0; i < count; i++) {
    try {
      await queue.put(id * 100_000 + i);
    } catch (error) {
      if (isShutDown(error)) return i;
      throw error;
    }
  }
  return count;
}

/** Gets items until the queue is shut down and drained, marking each done; returns them in the order got. */
export async function queueConsumeAll<T>(queue: api.Queue<T>): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    let item: T;
    try {
      item = await queue.get();
    } catch (error) {
      if (isShutDown(error)) return got;
      throw error;
    }
    got.push(item);
    await queue.taskDone();
  }
}

/** Iterates the queue with `for await` until it ends (shut down and drained); returns the items in order. */
export async function queueIterate<T>(queue: api.Queue<T>): Promise<T[]> {
  const got: T[] = [];
  for await (const item of queue) got.push(item);
  return got;
}
