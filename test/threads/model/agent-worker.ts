/**
 * Worker entry of the model tests (./driver.ts bundles it with esbuild, so that a worker boots in tens of
 * milliseconds rather than loading tsx): one agent that runs the calls the test sends it, one at a time
 * unless a call is async, and answers each with its outcome. A blocking call blocks the whole worker, as
 * in real use; an async one leaves the worker free to take an `abort` for it, or a `block`, which stops the
 * worker's thread (Atomics.wait) with the async call still queued, so that a grant can land on a cell whose
 * waiter cannot collect it. It boots without a primitive, ahead of need; `attach` gives it one (a handle).
 */
import { parentPort } from "node:worker_threads";
import { fromHandle, type Handle } from "../../../src/threads/handle.ts";
import { type Call, perform } from "./calls.ts";

/** The primitive this agent works on (set by `attach`). */
let primitive: unknown;
const controllers = new Map<number, AbortController>();
const port = parentPort!;

port.on("message", (call: Call) => {
  if (call.op === "abort") {
    controllers.get(call.target!)?.abort(new Error("aborted by the test"));
    return;
  }
  if (call.op === "attach") {
    primitive = fromHandle(call.item as Handle);
    port.postMessage({ id: call.id, outcome: { ok: true } });
    return;
  }
  if (call.op === "block") {
    // Answered first: once the test has the answer, no grant can be collected by this thread any more.
    port.postMessage({ id: call.id, outcome: { ok: "blocked" } });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until terminated
    return;
  }
  let controller: AbortController | undefined;
  if (call.abortable) {
    controller = new AbortController();
    controllers.set(call.id, controller);
  }
  void perform(primitive, call, controller?.signal).then((outcome) => {
    controllers.delete(call.id);
    port.postMessage({ id: call.id, outcome });
  });
});
port.postMessage({ id: -1, outcome: { ok: "booted" } });
