/**
 * Run as a child process by keepalive.test.ts: the main thread's only pending work is an async wait on a
 * Lock that an unref'd worker releases after 100 ms. With `raw` as argument it waits with a bare
 * Atomics.waitAsync instead, to show that Node alone would exit early (the control case).
 */
import { Event } from "../../src/threads/event.ts";
import { toHandle } from "../../src/threads/handle.ts";
import { STATE } from "../../src/threads/layout.ts";
import { Lock } from "../../src/threads/lock.ts";
import { startWorker } from "./spawn.ts";

const lock = new Lock();
const held = new Event();
const worker = startWorker(new URL("./keepalive-worker.ts", import.meta.url), {
  lock: toHandle(lock),
  held: toHandle(held),
});
worker.unref(); // the worker alone must not keep this process alive
held.waitSync({ timeout: 20_000 }); // blocking: no async wait exists before the one under test
const started = performance.now();
if (process.argv[2] === "raw") {
  const s = Atomics.load(lock._core.i32, STATE);
  const result = (Atomics as unknown as { waitAsync: (...a: unknown[]) => { value: unknown } }).waitAsync(
    lock._core.i32,
    STATE,
    s,
  );
  await result.value;
} else {
  await lock.acquire();
}
console.log(`acquired after ${Math.round(performance.now() - started)} ms`);
