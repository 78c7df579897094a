/**
 * Worker entry of ./blocked-parent.test.ts, playing a program's main thread that uses a Semaphore with async
 * calls only and terminates its own workers: it queues an async acquire, starts a child that takes the
 * semaphore's GUARD and stays inside, terminates the child without awaiting it, and at once releases, which
 * must take that GUARD. Its own event loop, which would see the child's "exit", is blocked meanwhile. Posts
 * `{ released: true }` once the release returned, then `{ got }`: what its acquire resolved.
 */
import { parentPort } from "node:worker_threads";
import { toHandle } from "../../src/threads/handle.ts";
import { Semaphore } from "../../src/threads/semaphore.ts";
import { sleep } from "../helpers.ts";
import { startWorker } from "./spawn.ts";

const sem = new Semaphore(0);
const waiting = sem.acquire({ timeout: 30_000 }); // queued: the release below hands over under GUARD
const flag = new Int32Array(new SharedArrayBuffer(4));
const child = startWorker(new URL("./mutex-death-worker.ts", import.meta.url), {
  op: "guard",
  handle: toHandle(sem),
  flag,
});
while (Atomics.load(flag, 0) !== 1) await sleep(2);
void child.terminate();
sem.release(); // blocks this thread on GUARD until it records the child's death itself
parentPort!.postMessage({ released: true });
parentPort!.postMessage({ got: await waiting });
