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

/** Per row: heap growth after each sample, and the heap while the waiters were queued. */
const grew = new Map<string, number[]>();
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
  const after = heapAfterGc();
  (grew.get(name) ?? grew.set(name, []).get(name)!).push(after - base);
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

const memory: Target = {
  text: "memory returns to its start (heap after GC within 1 MiB of before, every sample)",
  check() {
    if (grew.size === 0) return { ok: null, detail: "not measured" };
    const worst = Math.max(...[...grew.values()].flat());
    const peak = Math.max(...[...peaks.values()].flat());
    return { ok: worst <= 2 ** 20, detail: `worst growth ${mib(worst)}; heap while queued +${mib(peak)}` };
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
    grew.clear();
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
