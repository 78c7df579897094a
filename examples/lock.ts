/**
 * Two worker threads, one counter, one Lock (threadkit/threads): 2 x 1,000,000 increments under the lock
 * end exact, where the same plain reads and writes without it would lose updates. The body of each thread is
 * ./lock/count.ts: a thread runs a module's function, and the Lock in `args` arrives there live.
 */
import { Lock, Thread } from "threadkit/threads";

const lock = new Lock();
const counter = new Int32Array(new SharedArrayBuffer(4));
const count = new URL("./lock/count.js", import.meta.url);
const threads = [1, 2].map(() => new Thread({ target: count, args: [lock, counter, 1_000_000] }));
for (const t of threads) t.start();
for (const t of threads) await t.join();

console.log(`counter: ${counter[0]}`);
if (counter[0] !== 2_000_000) throw new Error(`expected 2000000, got ${counter[0]}`);
