/**
 * Worker entry of the owner-died tests. A "holder" takes a primitive (blocking), reports "held", then dies as
 * told: blocked until terminated, `process.exit(0)` or an uncaught error on the "die" message, or simply
 * returns ("return": an end, not a death). A "waiter" takes it with acquireSync and a deadline, reports what
 * happened and whether it then held the primitive, and gives it back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Lock } from "../../src/threads/lock.ts";
import type { RLock } from "../../src/threads/rlock.ts";
import type { Semaphore } from "../../src/threads/semaphore.ts";

type LockLike = Lock | RLock | Semaphore;

const { role, handle, how, count, timeout } = workerData as {
  role: "holder" | "waiter";
  handle: Handle;
  how?: "terminate" | "exit" | "throw" | "return";
  count?: number;
  timeout?: number;
};
const primitive = fromHandle(handle) as LockLike;
const port = parentPort!;

/** Whether this thread holds `p` now (a semaphore of the tests has one permit: then none is free). */
function holds(p: LockLike): boolean {
  if (handle.kind === "RLock") return (p as RLock)._isOwned();
  if (handle.kind === "Lock") return (p as Lock).locked();
  return (p as Semaphore).value === 0;
}

if (role === "holder") {
  for (let i = 0; i < (count ?? 1); i++) {
    try {
      primitive.acquireSync();
    } catch (e) {
      if ((e as { code?: string }).code !== "ERR_OWNER_DIED") throw e; // held all the same
    }
  }
  port.postMessage({ held: true });
  if (how === "terminate") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  else if (how === "exit" || how === "throw") {
    port.once("message", () => {
      if (how === "exit") process.exit(0);
      throw new Error("the holder dies on purpose");
    });
  }
} else {
  const started = performance.now();
  let outcome: { ok?: boolean; error?: { name: string; code?: string; message: string } };
  try {
    outcome = { ok: primitive.acquireSync({ timeout: timeout ?? 10_000 }) };
  } catch (e) {
    const error = e as { name: string; code?: string; message: string };
    outcome = { error: { name: error.name, code: error.code, message: error.message } };
  }
  const held = (outcome.ok === true || outcome.error?.code === "ERR_OWNER_DIED") && holds(primitive);
  if (outcome.ok === true || outcome.error?.code === "ERR_OWNER_DIED") primitive.release();
  port.postMessage({ ...outcome, held, waited: performance.now() - started });
}
