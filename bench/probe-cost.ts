/**
 * What the tracing probe costs while nobody listens: the hot paths of this build (dist/) against another
 * build of the package (a baseline: say the commit before the probe, built into a directory of its own),
 * in one process, in interleaved rounds (A B, B A, ...), so that drift and load hit both alike. Prints
 * each path's median time per operation for both and the median of the per-round ratios (this / baseline).
 *
 *   npm run build && node --import tsx bench/probe-cost.ts /path/to/baseline [--rounds 21]
 *
 * The paths: an uncontended local Lock (await acquire + release), a local Semaphore(10) hand-off (1,000
 * tasks), an uncontended threads Lock (acquireSync + release, and await acquire + release), and a threads
 * Event ping-pong between two workers (set, waitSync, clear). On a loaded machine the ping-pong measures
 * the scheduler (both sides sleep instead of spinning): read it on an idle one.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

type Tier = typeof import("../src/index.ts");
type Threads = typeof import("../src/threads/index.ts");

const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
const ROUNDS = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 21;
const baseline = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--rounds");
if (baseline === undefined) {
  console.error("usage: node --import tsx bench/probe-cost.ts <baseline package directory> [--rounds N]");
  process.exit(2);
}
const dirs = { base: resolve(baseline, "dist"), this: resolve(import.meta.dirname, "../dist") };
const url = (dir: string, file: string) => pathToFileURL(resolve(dir, file)).href;
const local = {
  base: (await import(url(dirs.base, "index.js"))) as Tier,
  this: (await import(url(dirs.this, "index.js"))) as Tier,
};
const threads = {
  base: (await import(url(dirs.base, "threads/index.js"))) as Threads,
  this: (await import(url(dirs.this, "threads/index.js"))) as Threads,
};
type Build = "base" | "this";

const ns = (ms: number, n: number) => (ms / n) * 1e6;

async function localLock(b: Build, n: number): Promise<number> {
  const lock = new local[b].Lock();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
  return ns(performance.now() - t, n);
}

async function localSemaphore(b: Build, n: number): Promise<number> {
  const sem = new local[b].Semaphore(10);
  const per = n / 1000;
  const t = performance.now();
  const tasks: Promise<void>[] = [];
  for (let k = 0; k < 1000; k++) {
    tasks.push(
      (async () => {
        for (let i = 0; i < per; i++) {
          await sem.acquire();
          sem.release();
        }
      })(),
    );
  }
  await Promise.all(tasks);
  return ns(performance.now() - t, n);
}

async function threadsLockSync(b: Build, n: number): Promise<number> {
  const lock = new threads[b].Lock();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
  return ns(performance.now() - t, n);
}

async function threadsLockAsync(b: Build, n: number): Promise<number> {
  const lock = new threads[b].Lock();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
  return ns(performance.now() - t, n);
}

/** Each side of the ping-pong: plain JavaScript, importing the build under test by URL. */
const SIDE = `
const { workerData, parentPort } = require("node:worker_threads");
import(workerData.url).then((tk) => parentPort.on("message", ({ ping, pong, n, side }) => {
  const mine = tk.fromHandle(side === 0 ? ping : pong);
  const other = tk.fromHandle(side === 0 ? pong : ping);
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    if (side === 0) { other.set(); mine.waitSync(); mine.clear(); }
    else { mine.waitSync(); mine.clear(); other.set(); }
  }
  parentPort.postMessage(performance.now() - t);
}));
`;
const sides = {
  base: [0, 1].map(
    () => new Worker(SIDE, { eval: true, workerData: { url: url(dirs.base, "threads/index.js") } }),
  ),
  this: [0, 1].map(
    () => new Worker(SIDE, { eval: true, workerData: { url: url(dirs.this, "threads/index.js") } }),
  ),
};

async function pingPong(b: Build, n: number): Promise<number> {
  const tk = threads[b];
  const ping = tk.toHandle(new tk.Event());
  const pong = tk.toHandle(new tk.Event());
  const times = await Promise.all(
    sides[b].map(
      (w, side) =>
        new Promise<number>((done) => {
          w.once("message", done);
          w.postMessage({ ping, pong, n, side });
        }),
    ),
  );
  return ns(Math.max(...times), n);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const paths: [string, (b: Build, n: number) => Promise<number>, number][] = [
  ["local Lock await acquire + release", localLock, 200_000],
  ["local Semaphore(10) hand-off, 1,000 tasks", localSemaphore, 100_000],
  ["threads Lock acquireSync + release", threadsLockSync, 1_000_000],
  ["threads Lock await acquire + release", threadsLockAsync, 200_000],
  ["threads Event ping-pong, round trip", pingPong, 20_000],
];
console.log(`baseline ${dirs.base}, this ${dirs.this}; ${ROUNDS} interleaved rounds`);
for (const [name, run, n] of paths) {
  for (let w = 0; w < 3; w++) {
    await run("base", n);
    await run("this", n);
  }
  const base: number[] = [];
  const mine: number[] = [];
  const ratio: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order: [Build, Build] = r % 2 === 0 ? ["base", "this"] : ["this", "base"];
    const got: Record<Build, number> = { base: 0, this: 0 };
    for (const b of order) got[b] = await run(b, n);
    base.push(got.base);
    mine.push(got.this);
    ratio.push(got.this / got.base);
  }
  console.log(
    `${name}: baseline ${median(base).toFixed(1)} ns, this ${median(mine).toFixed(1)} ns, ` +
      `this / baseline per round: median ${median(ratio).toFixed(3)}`,
  );
}
for (const w of [...sides.base, ...sides.this]) await w.terminate();
