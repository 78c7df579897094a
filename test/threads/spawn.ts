/**
 * Starting TypeScript workers in tests. `execArgv: ["--import", "tsx"]` does not reach a worker's entry
 * module on Node 20 (ERR_UNKNOWN_FILE_EXTENSION), so each worker first registers tsx, then imports its .ts
 * entry. `runTask` runs one exported function of ./tasks.ts in a fresh worker, handles turned back into live
 * primitives, and resolves what it returns (or rejects with what it throws, rebuilt).
 */
import { Worker } from "node:worker_threads";
import { errorFromRecord } from "../../src/api/errors.ts";
import { isPrimitive, toHandle } from "../../src/threads/handle.ts";
import type * as tasks from "./tasks.ts";

const tsx = import.meta.resolve("tsx/esm/api");

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

/** A worker running the .ts module `file`, with `workerData`. */
export function startWorker(file: URL, workerData?: unknown): Worker {
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); });`;
  const worker = native
    ? new Worker(file, { workerData })
    : withExecArgv((argv) => new Worker(boot, { eval: true, workerData, execArgv: argv }));
  running.add(worker);
  worker.once("exit", () => running.delete(worker));
  return worker;
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
