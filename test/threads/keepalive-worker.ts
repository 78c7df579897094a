/** The worker of keepalive-child.ts: holds the lock for 100 ms, then releases it. */
import { workerData } from "node:worker_threads";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";

const { lock: lockHandle, held: heldHandle } = workerData as { lock: Handle<"Lock">; held: Handle<"Event"> };
const lock = fromHandle(lockHandle);
lock.acquireSync();
fromHandle(heldHandle).set();
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // hold it for 100 ms
lock.release();
