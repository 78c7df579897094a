/**
 * The main thread's side of the threads workloads: long-lived benchmark workers (./worker.ts) and one call
 * at a time to each. Workers are TypeScript, so each first registers tsx: Node 20 does not pass
 * `--import tsx` on to a worker's entry module.
 */
import { Worker } from "node:worker_threads";
import type * as jobs from "./jobs.ts";
import type { Span } from "./jobs.ts";

const tsx = import.meta.resolve("tsx/esm/api");
const entry = new URL("./worker.ts", import.meta.url).href;

type Jobs = typeof jobs;
type JobName = { [K in keyof Jobs]: Jobs[K] extends (a: never) => unknown ? K : never }[keyof Jobs];

export class BenchWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;

  /** `plain`: a plain JavaScript worker (./plain-worker.mjs, no loader) that runs only the `count` job. */
  constructor(plain = false) {
    if (plain) {
      this.worker = new Worker(new URL("./plain-worker.mjs", import.meta.url));
      this.ready = new Promise((resolve, reject) => {
        this.worker.once("message", () => resolve());
        this.worker.once("error", reject);
      });
      return;
    }
    const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); }).then(() => require("node:worker_threads").parentPort.postMessage("ready"));`;
    this.worker = new Worker(boot, { eval: true });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("message", () => resolve());
      this.worker.once("error", reject);
    });
  }

  /** Runs `jobs[job](args)` in the worker; `transfer` lists the MessagePorts in `args`. */
  async call<K extends JobName>(
    job: K,
    args: Parameters<Jobs[K]>[0],
    transfer: Transferable[] = [],
  ): Promise<Awaited<ReturnType<Jobs[K]>>> {
    await this.ready;
    return new Promise<Awaited<ReturnType<Jobs[K]>>>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once("error", onError);
      this.worker.once("message", (m: { ok?: unknown; error?: string }) => {
        this.worker.off("error", onError);
        if (m.error !== undefined) reject(new Error(`worker: ${m.error}`));
        else resolve(m.ok as never);
      });
      this.worker.postMessage({ job, args }, transfer as never);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Nanoseconds from the first start to the last end of spans run on several workers at once. */
export function across(spans: readonly Span[]): number {
  return Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
}

/** A fresh shared Int32Array of `n` slots. */
export function words(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}
