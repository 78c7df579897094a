/**
 * ./queue.ts on one event loop (threadkit): a producer task puts random integers, two consumer tasks get
 * them, one with the explicit get() / taskDone() loop, one with `for await`; queue.join() returns once every
 * integer has been processed, and shutdown() ends both consumers.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { currentThread, Queue, QueueShutDown, Thread } from "threadkit";

const n = 6;
const queue = new Queue<number>();

async function producer(): Promise<void> {
  for (let i = 0; i < n; i++) {
    const integer = Math.floor(Math.random() * 257);
    await queue.put(integer);
    console.log(`${integer} put to queue by ${currentThread().name}`);
    await sleep(60); // Python: time.sleep(1)
  }
}

async function consumer(): Promise<void> {
  for (;;) {
    let integer: number;
    try {
      integer = await queue.get();
    } catch (error) {
      if (!(error instanceof QueueShutDown)) throw error;
      console.log(`get() raised QueueShutDown: ${currentThread().name} stops`);
      return;
    }
    console.log(`${integer} popped from list by ${currentThread().name}`);
    queue.taskDone();
  }
}

async function iterating(): Promise<void> {
  for await (const integer of queue) console.log(`${integer} popped from list by ${currentThread().name}`);
  console.log(`the queue is shut down: ${currentThread().name}'s for await ends`);
}

const threads = [producer, consumer, iterating].map(
  (target, i) => new Thread({ target, name: `Thread-${i + 1}` }),
);
for (const t of threads) t.start();
await threads[0]?.join();
await queue.join();
console.log(`queue.join() returned: all ${n} integers processed`);
queue.shutdown();
for (const t of threads) await t.join();
if (threads.some((t) => t.error !== undefined)) process.exit(1);
