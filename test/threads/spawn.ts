/**
 * Starting TypeScript workers in tests. `execArgv: ["--import", "tsx"]` does not reach a worker's entry
 * module on Node 20 (ERR_UNKNOWN_FILE_EXTENSION), so each worker first registers tsx, then imports its .ts
 * entry. `runTask` runs one exported function of ./tasks.ts in a fresh worker, handles turned back into live
 * primitives, and resolves what it returns (or rejects with what it throws, rebuilt).
 */
import * as workerThreads from "node:worker_threads";
import { Worker } from "node:worker_threads";
import { errorFromRecord } from "../../src/internal/error-record.ts";
import { isPrimitive, toHandle } from "../../src/threads/handle.ts";
import { sleep, within } from "../helpers.ts";
import type * as tasks from "./tasks.ts";

const tsx = import.meta.resolve("tsx/esm/api");
/** Most of what a worker entry loads (every primitive), loaded before the worker reports itself booted. */
const tier = new URL("../../src/threads/handle.ts", import.meta.url).href;

/*
 * Boots. A worker of this thread has booted once tsx and the tier are loaded: it then writes its id + 1 into
 * word `id % BOOT_SLOTS` of a shared array that every worker finds in its environment data. startWorker's
 * boot does it before importing the entry; a Thread's target (./targets/) imports ./targets/booted.ts
 * first. `booted()` waits for every worker this thread started (as Node's "worker" event lists them) to have
 * booted or exited, so a deadline can leave start-ups out.
 */
const BOOTED = "threadkit-test:booted";
const BOOT_SLOTS = 4096;
const bootWords = new Int32Array(new SharedArrayBuffer(BOOT_SLOTS * 4));
/** This thread's workers not yet seen booted, by thread id. */
const booting = new Map<number, Worker>();

function track(worker: Worker): void {
  const id = worker.threadId;
  if (booting.has(id)) return;
  booting.set(id, worker);
  worker.once("exit", () => booting.delete(id));
}

/**
 * The test process's execArgv less `--import tsx`: a worker would inherit it and load tsx for nothing (in
 * Node 20 its hooks register on the main thread only), which doubles the time a worker takes to start.
 */
let execArgv = process.execArgv.filter(
  (arg, i, all) =>
    !(arg === "--import" && all[i + 1] === "tsx") &&
    !(arg === "tsx" && all[i - 1] === "--import") &&
    arg !== "--import=tsx",
);

/**
 * A worker made with `execArgv`. Flags a worker refuses when they are given rather than inherited (node:test
 * hands its child processes many, on Node 22 and later) are named in the error, before anything runs: they are
 * left out from then on.
 */
function withExecArgv(make: (argv: string[]) => Worker): Worker {
  for (;;) {
    try {
      return make(execArgv);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw error;
      const refused = new Set(/flags: (.*)$/.exec((error as Error).message)?.[1]?.split(", ") ?? []);
      const kept = execArgv.filter((arg) => !refused.has(arg));
      if (kept.length === execArgv.length) throw error;
      execArgv = kept;
    }
  }
}

const running = new Set<Worker>();

/** Deno and Bun load TypeScript themselves: their workers start at the .ts module. */
const native = "Deno" in globalThis || "Bun" in globalThis;

// Deno and Bun start workers without a boot script: nothing reports their boots, so none is waited for.
if (!native) {
  workerThreads.setEnvironmentData(BOOTED, bootWords.buffer);
  process.on("worker", track);
}

/**
 * A worker running the .ts module `file`, with `workerData`. Its boot loads tsx and the tier, says it has
 * booted (see `booted()`), then imports `file`.
 */
export function startWorker(file: URL, workerData?: unknown): Worker {
  const boot =
    `const { getEnvironmentData, threadId } = require("node:worker_threads");` +
    `const words = new Int32Array(getEnvironmentData(${JSON.stringify(BOOTED)}));` +
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(tier)}); })` +
    `.then(() => { Atomics.store(words, threadId % ${BOOT_SLOTS}, threadId + 1); return import(${JSON.stringify(file.href)}); });`;
  const worker = native
    ? new Worker(file, { workerData })
    : withExecArgv((argv) => new Worker(boot, { eval: true, workerData, execArgv: argv }));
  running.add(worker);
  worker.once("exit", () => running.delete(worker));
  if (!native) track(worker); // now: its "worker" event comes on the next tick
  return worker;
}

/**
 * Bounds the boot of workers: only a hang exceeds it, since booting even dozens of tsx workers at once
 * takes seconds on a loaded machine.
 */
const BOOT_BOUND = 180_000;

/**
 * Resolves once every worker this thread started so far has booted (tsx and the tier loaded) or exited, or
 * once `done()` says the wait no longer matters (its loop must not keep the process alive after that).
 */
export async function booted(done: () => boolean = () => false): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0)); // the "worker" events of workers just started
  const deadline = performance.now() + BOOT_BOUND;
  for (;;) {
    if (done()) return;
    for (const id of booting.keys())
      if (Atomics.load(bootWords, id % BOOT_SLOTS) === id + 1) booting.delete(id);
    if (booting.size === 0) return;
    if (performance.now() > deadline) throw new Error(`workers did not boot within ${BOOT_BOUND} ms`);
    await sleep(5);
  }
}

/**
 * `within` whose deadline counts from the moment every worker started so far has booted (or from the call, if
 * `promise` settles first): a deadline only catches a hang, so slow worker start-ups must delay it, never fail it.
 */
export async function withinBooted<T>(promise: Promise<T>, ms?: number, what?: string): Promise<T> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  await Promise.race([booted(() => settled), promise.then(settle, settle)]);
  return within(promise, ms, what);
}

/**
 * Terminates the workers still running: a test that failed on a deadline may leave a worker blocked in
 * Atomics.wait, which would otherwise keep the test file from ever exiting. Call it in `after()`.
 */
export async function terminateAll(): Promise<void> {
  await Promise.all([...running].map((w) => w.terminate()));
}

export interface WorkerError {
  name: string;
  code?: string;
  message: string;
}

type Tasks = typeof tasks;

/** Runs `tasks[name](...args)` in a new worker; primitives in `args` are sent as handles. */
export function runTask<K extends keyof Tasks>(
  name: K,
  ...args: Parameters<Tasks[K]>
): Promise<Awaited<ReturnType<Tasks[K]>>> {
  return runIn(new URL("./task-worker.ts", import.meta.url), { name, args: args.map(wire) });
}

/** Resolves the `{ ok }` a worker posts, rejects with its `{ error }`, or with its crash. */
export function runIn<T>(file: URL, workerData: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = startWorker(file, workerData);
    let settled = false;
    worker.on("message", (m: { ok?: T; error?: WorkerError }) => {
      settled = true;
      if (m.error) reject(rebuild(m.error));
      else resolve(m.ok as T);
    });
    worker.on("error", (e) => {
      settled = true;
      reject(e);
    });
    worker.on("exit", (code) => {
      if (!settled) reject(new Error(`worker exited with ${code} before answering`));
    });
  });
}

/** The error a worker reported, as an instance of the right class. */
export function rebuild(e: WorkerError): Error {
  if (e.code?.startsWith("ERR_") && e.name !== "TypeError" && e.name !== "RangeError") {
    return errorFromRecord({ code: e.code, message: e.message });
  }
  const Class = e.name === "TypeError" ? TypeError : e.name === "RangeError" ? RangeError : Error;
  return new Class(e.message);
}

export function wire(value: unknown): unknown {
  return isPrimitive(value) ? toHandle(value) : value;
}
