/**
 * `node --import threadkit/trace/register app.js`: records the run and, when the process exits, writes its
 * timeline (THREADKIT_TRACE_OUT, default threadkit-trace.html). Loaded in every thread (workers inherit
 * the flag): the main thread records, each worker forwards its events to it.
 */
import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { forward, record } from "./recorder.ts";
import { render } from "./render.ts";

if (isMainThread) {
  const recorder = record();
  const out = process.env.THREADKIT_TRACE_OUT || "threadkit-trace.html";
  const title = process.env.THREADKIT_TRACE_TITLE || "threadkit timeline";
  process.on("exit", () => {
    const recording = recorder.stop();
    writeFileSync(out, render(recording, title));
    process.stderr.write(`threadkit: timeline of ${recording.events.length} events written to ${out}\n`);
  });
} else {
  forward();
}
