/**
 * Threads tier, starting a thread: the time from `start()` to the first line of the target, one thread at a
 * time, for a plain JavaScript target and for a TypeScript one (which a Node 20 worker loads only through
 * tsx, registered in the worker before the target is imported). Floors: a bare `new Worker(file)` to its
 * first line, and a bare Worker that registers tsx through its public API before importing a .ts file; both
 * without the `--import tsx` this benchmark runs under, which a worker would otherwise inherit and run too.
 */
import { Worker } from "node:worker_threads";
import { Thread } from "threadkit/threads";
import { type Contender, clock, type Workload } from "../harness.ts";

const here = (file: string) => new URL(`./start/${file}`, import.meta.url);
const tsxApi = import.meta.resolve("tsx/esm/api");

/** Starts `ops` threads one after the other; the nanoseconds from each start to its target's first line. */
function sequential(start: (stamp: Float64Array) => Promise<void>): (ops: number) => Promise<number> {
  return async (ops) => {
    let total = 0;
    for (let i = 0; i < ops; i++) {
      const stamp = new Float64Array(new SharedArrayBuffer(8));
      const t0 = Number(clock());
      await start(stamp);
      if (stamp[0] === 0) throw new Error("the target never ran");
      total += (stamp[0] as number) - t0;
    }
    return total;
  };
}

function thread(file: string) {
  return async (stamp: Float64Array) => {
    const t = new Thread({ target: here(file), args: [stamp] });
    t.start();
    await t.join();
    if (t.error !== undefined) throw t.error;
  };
}

function worker(boot: (stamp: Float64Array) => Worker) {
  return (stamp: Float64Array) =>
    new Promise<void>((resolve, reject) => {
      const w = boot(stamp);
      w.once("error", reject);
      w.once("exit", () => resolve());
    });
}

export const start: Workload = {
  name: "threads.start",
  title: "start() to the target's first line, one thread at a time",
  show: "ns/op",
  op: "thread",
  ops: 2,
  reps: 5,
  reference: "threadkit Thread, .js target",
  notes: [
    "A thread's first line waits for a new V8 isolate and the modules it loads: the threads tier's for a " +
      "Thread, and for a .ts target tsx's loader, which Node 20 runs on a thread of its own per worker.",
  ],
  async prepare(ctx) {
    const ops = ctx.quick ? 1 : undefined;
    const rows: Contender[] = [
      { name: "threadkit Thread, .js target", kind: "threadkit", run: sequential(thread("first-line.js")) },
      { name: "threadkit Thread, .ts target", kind: "threadkit", run: sequential(thread("first-line.ts")) },
      {
        name: "Worker, .js file",
        kind: "floor",
        note: "new Worker(file, { execArgv: [] }), nothing else loaded",
        run: sequential(
          worker((stamp) => new Worker(here("raw-worker.js"), { workerData: stamp, execArgv: [] })),
        ),
      },
      {
        name: "Worker, tsx register(), .ts file",
        kind: "floor",
        note: "tsx/esm/api's register() in the worker, then import()",
        run: sequential(
          worker((stamp) => {
            const body = here("first-line.ts").href;
            const boot =
              `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(body)}); })` +
              ".then((m) => m.default(require('node:worker_threads').workerData))";
            return new Worker(boot, { eval: true, workerData: stamp, execArgv: [] });
          }),
        ),
      },
    ];
    return ops === undefined ? rows : rows.map((r) => ({ ...r, ops }));
  },
};
