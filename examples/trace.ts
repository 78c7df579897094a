/**
 * Two threads meet on a Condition and contend for a Lock (threadkit/threads): a worker ("consumer") waits
 * on the condition until the main thread has something ready, then both take turns on the lock. Run it
 * under the recorder to see who waited for what, and who woke whom:
 *
 *   npm run build:examples && npx threadkit trace build/examples/trace.js -o timeline.html
 */
import { Condition, Lock, Thread } from "threadkit/threads";

const lock = new Lock();
const cond = new Condition(new Lock());
const ready = new Int32Array(new SharedArrayBuffer(4));
const consumer = new Thread({
  name: "consumer",
  target: new URL("./trace/consumer.js", import.meta.url),
  args: [lock, cond, ready],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Until the consumer waits on `p` (how many wait is internal: this only makes the picture show each
 * hand-off; the program is correct without it).
 */
async function untilWaiting(p: unknown): Promise<void> {
  while ((p as { _core: { size: number } })._core.size === 0 && consumer.isAlive()) await sleep(1);
}

consumer.start();
await untilWaiting(cond); // the consumer waits on the condition
await lock.acquire();
await cond.acquire();
ready[0] = 1;
cond.notify(); // wakes the consumer: it takes the condition's lock back once it is released
await sleep(2);
cond.release();
await untilWaiting(lock); // the consumer now waits for the lock, which main holds
await sleep(5);
lock.release(); // hands it to the consumer
await lock.acquire(); // main's turn comes when the consumer releases
await sleep(3);
lock.release();
await consumer.join();
console.log(`consumer done: ready = ${ready[0]}`);
