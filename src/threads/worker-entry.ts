/**
 * The entry module of a Thread's worker (see ./thread.ts): runs this worker's Thread (`currentThread()`,
 * built from workerData with its primitives live), then posts the outcome and sets the shared `done` Event.
 *
 * The worker may also end without its target settling: `process.exit()` in the target, or an uncaught
 * error outside it (a throwing timer callback, an unhandled rejection). The 'exit' hook below still posts
 * that as the thread's error and sets `done`, from this thread, so a parent blocked in `joinSync()` learns
 * of it without its event loop. The order is always: post, then set `done`, so whoever sees `done` finds the
 * outcome on the port.
 */
import { nameThread } from "../internal/probe.ts";
import { fromHandle } from "./handle.ts";
import { forget } from "./registry.ts";
import { registerHooks, threadId } from "./runtime.ts";
import { writeStdioDirect } from "./stdio.ts";
import { _descriptor, currentThread, exitError, type Outcome } from "./thread.ts";
import { wireError } from "./wire-error.ts";

interface ProcessLike {
  exitCode?: number | string | undefined;
  on(event: "exit", listener: (code: number) => void): void;
  on(event: "uncaughtExceptionMonitor", listener: (error: unknown) => void): void;
  prependListener(event: "exit", listener: (code: number) => void): void;
}

const descriptor = _descriptor();
if (descriptor === undefined) throw new Error("threadkit's worker-entry runs only as a Thread's worker");
const { port } = descriptor;
const done = fromHandle(descriptor.done);
nameThread(currentThread().name); // what traced events of this worker call it
// Before the target prints: its lines then reach the descriptor before `done` is set or a lock is let go.
writeStdioDirect(descriptor.stdio);
// On Node (Deno, Bun) the worker's own process object (exit and uncaught errors of this thread); a Web
// Worker has none, and ends only when its target has settled (./web-entry.ts).
const proc = (globalThis as unknown as { process?: ProcessLike }).process;

let settled = false;
let fatal: { error: unknown } | undefined;

function settle(outcome: Outcome): void {
  settled = true;
  forget(threadId); // finished: no longer listed by enumerate() on any thread
  try {
    port.postMessage(outcome);
  } catch (error) {
    port.postMessage({ error: wireError(error) }); // an outcome that would not clone: say why instead
  }
  done.set();
}

proc?.on("uncaughtExceptionMonitor", (error) => {
  fatal ??= { error };
});
// First among the exit listeners: before ./liveness.ts marks this thread dead, which lets other threads
// take over a guard it holds, so `done.set()` must have let go of the Event's by then.
proc?.prependListener("exit", (code) => {
  if (!settled) settle({ error: wireError(fatal !== undefined ? fatal.error : exitError(code)) });
  else if (fatal !== undefined && code !== 0) port.postMessage({ error: wireError(fatal.error), late: true });
});

// Only now, with this tier loaded natively: every import after this goes through the hooks' thread.
if (descriptor.hooks !== undefined) registerHooks(descriptor.hooks);

try {
  await currentThread().run();
  settle({});
} catch (error) {
  // The target's uncaught error: this thread died of it, as of one thrown outside the target. A non-zero
  // exit code tells ./liveness.ts so, and the Locks and permits it still holds are recovered (OwnerDiedError)
  // instead of being left to a thread that merely ended.
  if (proc !== undefined) proc.exitCode = 1;
  settle({ error: wireError(error) });
}
