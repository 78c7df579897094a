/**
 * A benchmark worker: waits for `{ job, args }` messages from ./pool.ts, runs `jobs[job](args)` and answers
 * `{ ok }` or `{ error }`. It stays up for the whole workload, so no sample pays for a worker's start.
 */
import { parentPort } from "node:worker_threads";
import * as jobs from "./jobs.ts";

type Job = (args: never) => unknown;

parentPort!.on("message", async ({ job, args }: { job: string; args: never }) => {
  try {
    const fn = (jobs as unknown as Record<string, Job>)[job];
    if (typeof fn !== "function") throw new Error(`no job ${job}`);
    parentPort!.postMessage({ ok: await fn(args) });
  } catch (error) {
    parentPort!.postMessage({
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
