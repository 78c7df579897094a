/**
 * A benchmark worker as plain as a user's: JavaScript started with `new Worker(file)`, no loader, nothing
 * else ever run in it. It answers ./pool.ts's `{ job: "count", args }` with the same loops, written out
 * again, as ./jobs.ts `count` for two of its contenders, so the threads.lock.contended rows it runs
 * tell whether the benchmark workers (TypeScript through tsx, other rows before) change the figure.
 */
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { fromHandle } from "threadkit/threads";

const now = () => Number(process.hrtime.bigint());

// ./jobs.ts threadCpu.
function threadCpu() {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}
const core = await import(new URL("../../dist/threads/futex.js", import.meta.url).href).catch(() => ({}));
const sleepsOf = (floor) => (floor ? futexSleeps : (core.sleeps?.count ?? Number.NaN));
let futexSleeps = 0;

// ../floors/atomics.ts futexLock and futexUnlock.
function futexLock(a, i) {
  let c = Atomics.compareExchange(a, i, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(a, i, 2);
  while (c !== 0) {
    futexSleeps++;
    Atomics.wait(a, i, 2);
    c = Atomics.exchange(a, i, 2);
  }
}

function futexUnlock(a, i) {
  if (Atomics.sub(a, i, 1) !== 1) {
    Atomics.store(a, i, 0);
    Atomics.notify(a, i, 1);
  }
}

function count({ contender, n, me, gate: g, words, at, lock: h }) {
  const lock = fromHandle(h);
  const last = at + 1;
  let changes = 0;
  let contended = 0;
  let longest = 0;
  const floor = contender.startsWith("futex mutex");
  const slept0 = sleepsOf(floor);
  Atomics.add(g, 0, 1);
  while (Atomics.load(g, 0) < 2);
  const cpu0 = threadCpu();
  const start = now();
  if (floor) {
    for (let i = 0; i < n; i++) {
      let t0 = 0;
      if (Atomics.compareExchange(words, 0, 0, 1) !== 0) {
        t0 = now();
        futexLock(words, 0);
      }
      if (words[last] !== me) {
        words[last] = me;
        changes++;
      }
      words[at]++;
      futexUnlock(words, 0);
      if (t0 !== 0) {
        contended++;
        const dt = now() - t0;
        if (dt > longest) longest = dt;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      let t0 = 0;
      if (!lock.tryAcquire()) {
        t0 = now();
        lock.acquireSync();
      }
      if (words[last] !== me) {
        words[last] = me;
        changes++;
      }
      words[at]++;
      lock.release();
      if (t0 !== 0) {
        contended++;
        const dt = now() - t0;
        if (dt > longest) longest = dt;
      }
    }
  }
  const end = now();
  return {
    start,
    end,
    changes,
    contended,
    slept: sleepsOf(floor) - slept0,
    longest,
    cpu: threadCpu() - cpu0,
  };
}

parentPort.on("message", ({ job, args }) => {
  try {
    if (job !== "count") throw new Error(`no job ${job}`);
    parentPort.postMessage({ ok: count(args) });
  } catch (error) {
    parentPort.postMessage({
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
parentPort.postMessage("ready");
