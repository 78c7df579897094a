/**
 * Local tier, many waiters: 100,000 waiters per sample on held Locks; a quarter give up by timeout, a
 * quarter are aborted, the rest are handed the lock one after another. The rows spread the same 100,000
 * waiters over locks with 10, 1,000 or 100,000 waiters each, so time per waiter should not depend on the
 * row (cancel is O(1), hand-off is O(1)), and the heap after a sample should be back where it started.
 *
 * One operation is one waiter's whole life: enqueue, then timeout, abort or hand-off. The AbortControllers
 * are made before the clock starts (they are the caller's, not the lock's).
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Lock } from "threadkit";
import { type Contender, clock, flat, type Target, type Workload } from "../harness.ts";

const TOTAL = 100_000;
const SIZES = [10, 1_000, 100_000];

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  })();

const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Per row: the heap after GC following each sample, and the growth while the waiters were queued. */
const after = new Map<string, number[]>();
const peaks = new Map<string, number[]>();

async function sample(name: string, perLock: number, total: number): Promise<number> {
  const locks = total / perLock;
  const controllers: AbortController[] = [];
  for (let i = 0; i < total / 4; i++) controllers.push(new AbortController());
  const base = heapAfterGc();
  const t0 = clock();
  const held: Lock[] = [];
  const ends: Promise<unknown>[] = [];
  const timeouts: Promise<boolean>[] = [];
  let c = 0;
  for (let l = 0; l < locks; l++) {
    const lock = new Lock();
    lock.tryAcquire();
    held.push(lock);
    for (let j = 0; j < perLock; j++) {
      const kind = j & 3;
      if (kind === 1) timeouts.push(lock.acquire({ timeout: 1 }));
      else if (kind === 3) ends.push(lock.acquire({ signal: controllers[c++]!.signal }).catch(() => false));
      else ends.push(lock.acquire().then(() => lock.release()));
    }
  }
  const t1 = clock();
  const during = process.memoryUsage().heapUsed;
  const t2 = clock();
  for (const ac of controllers) ac.abort();
  // The timers are due by now (enqueueing took longer than 1 ms), so this wait is their work, not idle.
  if ((await Promise.all(timeouts)).includes(true)) throw new Error("a timed-out waiter was granted");
  for (const lock of held) lock.release();
  await Promise.all(ends);
  const t3 = clock();
  for (const lock of held) if (lock.locked()) throw new Error("a lock was left held");
  held.length = 0;
  ends.length = 0;
  timeouts.length = 0;
  controllers.length = 0;
  (after.get(name) ?? after.set(name, []).get(name)!).push(heapAfterGc());
  (peaks.get(name) ?? peaks.set(name, []).get(name)!).push(during - base);
  return Number(t1 - t0 + (t3 - t2));
}

const NODE_NOTE = "the same listeners, timers and promises without a lock: Node's share of each row";

/** What Node itself charges for the pattern: an abort listener added and fired, a timer armed and fired. */
async function nodeAlone(total: number): Promise<number> {
  const controllers: AbortController[] = [];
  for (let i = 0; i < total / 4; i++) controllers.push(new AbortController());
  const t0 = clock();
  const ends: Promise<unknown>[] = [];
  const timeouts: Promise<unknown>[] = [];
  let c = 0;
  for (let j = 0; j < total; j++) {
    const kind = j & 3;
    if (kind === 1) timeouts.push(new Promise((r) => setTimeout(r, 1)));
    else if (kind === 3) {
      const signal = controllers[c++]!.signal;
      ends.push(new Promise((r) => signal.addEventListener("abort", r, { once: true })));
    } else ends.push(Promise.resolve().then(() => undefined));
  }
  for (const ac of controllers) ac.abort();
  await Promise.all(timeouts);
  await Promise.all(ends);
  return Number(clock() - t0);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;

/**
 * After the first sample V8 keeps some compiled code and feedback (a few hundred KiB, once), so "returns
 * to its start" is judged by what each further sample of 100,000 waiters adds to the heap after GC: the
 * slope from the first sample to the last. A leak of one small object per waiter would add megabytes.
 */
const memory: Target = {
  text: "memory returns to its start (each further sample adds < 1% of what its waiters took while queued)",
  check() {
    const rows = [...after.values()].filter((xs) => xs.length >= 2);
    if (rows.length === 0) return { ok: null, detail: "not measured (needs 2 samples)" };
    const slope = Math.max(...rows.map((xs) => (xs[xs.length - 1]! - xs[0]!) / (xs.length - 1)));
    const peak = Math.min(...[...peaks.values()].flat());
    return {
      ok: slope <= 0.01 * peak,
      detail: `worst growth per sample ${mib(slope)} (${((100 * slope) / peak).toFixed(2)}% of the +${mib(peak)} queued)`,
    };
  },
};

const rowName = (size: number) => `threadkit Lock, ${size.toLocaleString("en")} waiters each`;

export const waiters: Workload = {
  name: "local.waiters",
  title: "100,000 waiters per sample: 1/4 time out, 1/4 aborted, 1/2 handed the lock",
  show: "ns/op",
  op: "waiter",
  ops: TOTAL,
  reps: 5,
  reference: rowName(10),
  targets: [flat(SIZES.map(rowName), 1.5, "time per waiter flat from 10 to 100,000 waiters"), memory],
  notes: [
    "The timeouts are 1 ms: enqueueing 100,000 waiters takes longer, so they are due when the loop " +
      "first yields and the figure holds no idle time (under --quick it may hold up to 1 ms).",
  ],
  async prepare(ctx) {
    after.clear();
    peaks.clear();
    const total = ctx.quick ? TOTAL / 5 : TOTAL;
    const rows = SIZES.map(
      (size): Contender => ({
        name: rowName(size),
        kind: "threadkit",
        ops: total,
        note: `${Math.max(1, total / size)} locks`,
        run: (n) => sample(rowName(size), Math.min(size, n), n),
      }),
    );
    return [
      ...rows,
      { name: "Node alone, no lock", kind: "floor", ops: total, note: NODE_NOTE, run: nodeAlone },
    ];
  },
};
