/**
 * `npm run bench`: threadkit side by side with what users would pick instead, on the project's
 * reference workloads. Prints one table per workload and writes bench/results/<workload>.json.
 *
 *   node --expose-gc --import tsx bench/run.ts [--quick] [--reps N] [--list] [filter...]
 *
 * A filter selects the workloads whose name contains it (`local`, `threads.lock`, `queue`). --quick runs
 * fewer rounds of smaller batches, to try the harness; its figures are not the ones to quote.
 * Benchmarks run against the built package (`npm run build`), imported by name as users do.
 *
 * Each workload runs in a process of its own (this script again, with `--child`), all its contenders in
 * that one process: what one workload leaves behind in V8 (optimized code, allocation-site feedback,
 * AsyncLocalStorage turned on) cannot speed up or slow down another, and a workload measures the same
 * whether it runs alone or in the whole set.
 */
import { fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  clearProgress,
  environment,
  type Result,
  runWorkload,
  startedAt,
  table,
  type Workload,
  writeJson,
} from "./harness.ts";
import { pythonVersion } from "./python/python.ts";

// Loaded on demand: a workload whose module cannot load (say the built threads tier is broken) is reported
// as failed with the reason, and the others still run.
const local = () => import("./local/lock.ts");
const localQueue = () => import("./local/queue.ts");
const localSemaphore = () => import("./local/semaphore.ts");
const localSignals = () => import("./local/signals.ts");
const localWaiters = () => import("./local/waiters.ts");
const threadsLock = () => import("./threads/lock.ts");
const threadsHandoff = () => import("./threads/handoff.ts");
const threadsQueue = () => import("./threads/queue.ts");
const threadsStart = () => import("./threads/start.ts");
const redisLock = () => import("./redis/lock.ts");
const redisQueue = () => import("./redis/queue.ts");

const workloads: [string, () => Promise<Workload>][] = [
  ["local.lock.uncontended", async () => (await local()).uncontended],
  ["local.lock.contended", async () => (await local()).contended],
  ["local.semaphore", async () => (await localSemaphore()).semaphore],
  ["local.queue", async () => (await localQueue()).queue],
  ["local.event", async () => (await localSignals()).eventPingPong],
  ["local.condition", async () => (await localSignals()).conditionPingPong],
  ["local.barrier", async () => (await localSignals()).barrier],
  ["local.waiters", async () => (await localWaiters()).waiters],
  ["threads.lock.uncontended", async () => (await threadsLock()).uncontended],
  ["threads.lock.contended", async () => (await threadsLock()).contended],
  ["threads.handoff", async () => (await threadsHandoff()).handoff],
  ["threads.queue.objects", async () => (await threadsQueue()).objects],
  ["threads.queue.numbers", async () => (await threadsQueue()).numbers],
  ["threads.barrier", async () => (await threadsQueue()).barrier],
  ["local.rlock", async () => (await localSignals()).rlock],
  ["threads.start", async () => (await threadsStart()).start],
  ["redis.lock.uncontended", async () => (await redisLock()).uncontended],
  ["redis.lock.handoff", async () => (await redisLock()).handoff],
  ["redis.queue", async () => (await redisQueue()).queue],
];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const repsAt = args.indexOf("--reps");
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : quick ? 3 : 9;
const childAt = args.indexOf("--child");
const filters = args.filter(
  (a, i) => !a.startsWith("--") && args[i - 1] !== "--reps" && args[i - 1] !== "--child",
);

/** A workload in a process of its own; its result, or why it produced none. */
function inChild(name: string, label: string): Promise<Result> {
  const childArgs = ["--child", name, "--reps", String(reps), ...(quick ? ["--quick"] : [])];
  const child = fork(fileURLToPath(import.meta.url), childArgs, {
    execArgv: process.execArgv,
    env: { ...process.env, BENCH_LABEL: label, BENCH_STARTED: String(startedAt()) },
  });
  return new Promise((resolve) => {
    let result: Result | undefined;
    child.on("message", (m) => {
      result = m as Result;
    });
    child.on("exit", (code, signal) => {
      resolve(result ?? failed(name, `its process ended (code ${code}, signal ${signal}) with no result`));
    });
  });
}

if (childAt >= 0) {
  const [name, load] = workloads.find(([n]) => n === args[childAt + 1])!;
  const result = await load().then(
    (w) => runWorkload(w, { quick, reps }, process.env.BENCH_LABEL ?? ""),
    (error) => failed(name, `could not load the workload: ${String(error)}`),
  );
  // Worker threads of a failed workload may still be parked: leave once the parent has the result.
  process.send!(result, () => process.exit(0));
} else {
  await main();
}

async function main(): Promise<void> {
  if (args.includes("--list")) {
    for (const [name, load] of workloads) {
      const title = await load().then(
        (w) => w.title,
        (e) => `(cannot load: ${String(e)})`,
      );
      console.log(`${name.padEnd(28)} ${title}`);
    }
    process.exit(0);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError("--reps takes a positive integer");

  const chosen = workloads.filter(([name]) => filters.length === 0 || filters.some((f) => name.includes(f)));
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
      "operation divided by threadkit's (above 1: threadkit is faster). Each workload runs in a fresh " +
      "process, its contenders together.\n",
  );

  const results: Result[] = [];
  for (const [i, [name]] of chosen.entries()) {
    const r = await inChild(name, `[${i + 1}/${chosen.length}]`);
    clearProgress();
    console.log(table(r));
    results.push(r);
    writeJson(`${outDir}${name}.json`, {
      environment: env,
      reproduce: `npm run build && node --expose-gc --import tsx bench/run.ts${quick ? " --quick" : ""} --reps ${reps} ${name}`,
      ...r,
    });
  }

  const targets = results.flatMap((r) => r.targets.map((t) => ({ workload: r.workload, ...t })));
  const missed = targets.filter((t) => t.ok === false);
  const failures = results.filter((r) => r.error);
  console.log(
    `${targets.filter((t) => t.ok).length} targets met, ${missed.length} missed, ` +
      `${targets.filter((t) => t.ok === null).length} not measured; ${failures.length} workloads failed. ` +
      `JSON in ${outDir}`,
  );
  for (const t of missed) console.log(`  missed: ${t.workload}: ${t.text}: ${t.detail}`);
  process.exit(failures.length > 0 ? 1 : 0);
}

function failed(name: string, error: string): Result {
  return {
    workload: name,
    title: "",
    show: "ns/op",
    op: "",
    reference: "",
    rows: [],
    targets: [],
    notes: [],
    error,
  };
}
