/**
 * `npm run bench`: threadkit side by side with what users would pick instead, on the workloads of
 * /shared/reference/baselines.md. Prints one table per workload and writes bench/results/<workload>.json.
 *
 *   node --expose-gc --import tsx bench/run.ts [--quick] [--reps N] [--list] [filter...]
 *
 * A filter selects the workloads whose name contains it (`local`, `threads.lock`, `queue`). --quick runs
 * fewer rounds of smaller batches, to try the harness; its figures are not the ones to quote.
 * Benchmarks run against the built package (`npm run build`), imported by name as users do.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clearProgress, environment, type Result, runWorkload, table, writeJson } from "./harness.ts";
import * as localLock from "./local/lock.ts";
import * as localQueue from "./local/queue.ts";
import * as localSemaphore from "./local/semaphore.ts";
import * as localSignals from "./local/signals.ts";
import * as localWaiters from "./local/waiters.ts";
import { pythonVersion } from "./python/python.ts";
import * as threadsHandoff from "./threads/handoff.ts";
import * as threadsLock from "./threads/lock.ts";
import * as threadsQueue from "./threads/queue.ts";

const workloads = [
  localLock.uncontended,
  localLock.contended,
  localSemaphore.semaphore,
  localQueue.queue,
  localSignals.eventPingPong,
  localSignals.conditionPingPong,
  localSignals.barrier,
  localWaiters.waiters,
  threadsLock.uncontended,
  threadsLock.contended,
  threadsHandoff.handoff,
  threadsQueue.objects,
  threadsQueue.numbers,
  threadsQueue.barrier,
  // Last: its run() row turns on AsyncLocalStorage, which in Node 20 slows every promise of the process
  // from then on (see the README), and would tax the workloads after it.
  localSignals.rlock,
];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const repsAt = args.indexOf("--reps");
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : quick ? 3 : 9;
const filters = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--reps");

if (args.includes("--list")) {
  for (const w of workloads) console.log(`${w.name.padEnd(28)} ${w.title}`);
  process.exit(0);
}
if (!Number.isInteger(reps) || reps < 1) throw new RangeError("--reps takes a positive integer");

const chosen = workloads.filter((w) => filters.length === 0 || filters.some((f) => w.name.includes(f)));
if (chosen.length === 0) throw new Error(`no workload matches ${filters.join(", ")} (see --list)`);

const env = { ...environment(), python: pythonVersion() ?? "not found", quick, reps };
const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });

console.log(
  `threadkit benchmarks · ${env.node} · ${env.cpu} x${env.cpus} · ${env.python} · ${reps} reps` +
    (quick ? " · --quick (not for quoting)" : ""),
);
console.log(`command: ${env.command}`);
if (env.python === "not found") console.log("python3 not found: the CPython baselines are skipped.");
console.log(
  "Figures are medians of the reps, with min–max; `time ÷ threadkit` is a contender's median time per " +
    "operation divided by threadkit's (above 1: threadkit is faster).\n",
);

const results: Result[] = [];
for (const [i, w] of chosen.entries()) {
  const r = await runWorkload(w, { quick, reps }, `[${i + 1}/${chosen.length}]`);
  clearProgress();
  console.log(table(r));
  results.push(r);
  writeJson(`${outDir}${w.name}.json`, {
    environment: env,
    reproduce: `npm run build && node --expose-gc --import tsx bench/run.ts${quick ? " --quick" : ""} --reps ${reps} ${w.name}`,
    ...r,
  });
}

const targets = results.flatMap((r) => r.targets.map((t) => ({ workload: r.workload, ...t })));
const missed = targets.filter((t) => t.ok === false);
const failed = results.filter((r) => r.error);
console.log(
  `${targets.filter((t) => t.ok).length} targets met, ${missed.length} missed, ` +
    `${targets.filter((t) => t.ok === null).length} not measured; ${failed.length} workloads failed. ` +
    `JSON in ${outDir}`,
);
for (const t of missed) console.log(`  missed: ${t.workload}: ${t.text}: ${t.detail}`);
// Worker threads of a failed workload may still be parked; the figures are printed, so leave.
process.exit(failed.length > 0 ? 1 : 0);
