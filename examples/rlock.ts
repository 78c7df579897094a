/**
 * RLock against Lock, as in both tutorials: a thread that holds a Lock and asks for it again blocks (here
 * with a timeout, so that the program can say so and go on, where Python's hangs); an RLock lets its owner
 * in again, counts the levels, and is free only after as many releases. Meanwhile another thread (the main
 * thread here) cannot take it. Then the RLock's main use, a recursive function that takes it at every level.
 * On a worker thread (threadkit/threads); the body is ./rlock/rlock.ts.
 */
import { Event, Lock, RLock, Thread } from "threadkit/threads";

const lock = new Lock();
const rlock = new RLock();
const held = new Event();
const tried = new Event();
const t = new Thread({
  target: new URL("./rlock/rlock.js", import.meta.url),
  args: [lock, rlock, held, tried],
  name: "Thread-1",
});
t.start();

await held.wait(); // Thread-1 holds the RLock, twice
const got = await rlock.acquire({ timeout: 100 });
console.log(`MainThread tries the RLock: ${got} (it is Thread-1's: gave up after 100 ms)`);
if (got) rlock.release();
tried.set();

await t.join();
if (t.error !== undefined) process.exit(1);
console.log(`MainThread tries the RLock again: ${rlock.tryAcquire()} (released as often as it was taken)`);
rlock.release();
