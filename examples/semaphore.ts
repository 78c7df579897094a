/**
 * A Semaphore limiting concurrency, Luce's "resource with limited capacity like a server": four client
 * threads make two requests each to a server that takes two connections at a time, `Semaphore(2)`. A client
 * that finds both in use waits for a permit. Real worker threads (threadkit/threads); the body is
 * ./semaphore/client.ts, and the number of connections in use is counted in shared memory.
 */
import { Semaphore, Thread } from "threadkit/threads";

const connections = new Semaphore(2);
const inUse = new Int32Array(new SharedArrayBuffer(8)); // [now, most at once]
const client = new URL("./semaphore/client.js", import.meta.url);
const threads = [1, 2, 3, 4].map(
  (i) => new Thread({ target: client, args: [connections, inUse, 2], name: `Thread-${i}` }),
);
for (const t of threads) t.start();
for (const t of threads) await t.join();

console.log(`8 requests served, at most ${inUse[1]} connections at once; permits left: ${connections.value}`);
if ((inUse[1] as number) > 2 || connections.value !== 2) throw new Error("the semaphore let too many in");
