/**
 * Threads tier, Lock: the uncontended acquire+release inside a worker (baselines B6) and two workers x
 * 1,000,000 Lock-protected increments of a shared counter (B10). The counter is a plain read-modify-write,
 * so a lock that failed to exclude would lose increments: every sample checks the total.
 */
import { Lock, toHandle } from "threadkit/threads";
import { type Contender, fmtNs, median, type Row, speedup, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";
import { APART, COUNTER } from "./jobs.ts";
import { multithreadingMissing, noted } from "./multithreading.ts";
import { across, BenchWorker, words } from "./pool.ts";

let pool: BenchWorker[] = [];
/**
 * Workers of its own for the multithreading package: the garbage its rows leave (a guard object per lock
 * cycle) and its polyfills would otherwise land on the rows after them in the same worker (measured: the
 * next `await acquire()` sample 10x slower).
 */
let apart: BenchWorker[] = [];

/** The workers a row runs in. */
const workersOf = (name: string): BenchWorker[] => (name.startsWith("multithreading") ? apart : pool);

/** The multithreading package's row: its Mutex over our shared word, where the package loads. */
async function mt(): Promise<Partial<Contender>> {
  const missing = await multithreadingMissing();
  const note = noted("its unlock always notifies");
  return missing === undefined ? { note } : { unavailable: missing };
}

async function close(): Promise<void> {
  await Promise.all([...pool, ...apart].map((w) => w.terminate()));
  pool = [];
  apart = [];
}

export const uncontended: Workload = {
  name: "threads.lock.uncontended",
  title: "uncontended Lock acquire+release in a worker",
  show: "ns/op",
  op: "cycle",
  ops: 1_000_000,
  reference: "threadkit Lock acquireSync()",
  targets: [
    speedup(
      "threadkit Lock acquireSync()",
      "CAS + store",
      1 / 1.5,
      "at most 1.5x a bare compareExchange + store",
    ),
  ],
  async prepare(ctx) {
    pool = [new BenchWorker()];
    apart = [new BenchWorker()];
    const word = words(1);
    const lock = toHandle(new Lock());
    const inWorker = (name: string, kind: Contender["kind"], extra: Partial<Contender> = {}): Contender => ({
      name,
      kind,
      ...extra,
      run: async (n) => {
        const s = await workersOf(name)[0]!.call("uncontended", { contender: name, n, word, lock });
        return s.end - s.start;
      },
    });
    return [
      inWorker("CAS + store", "floor", { note: "Atomics.compareExchange(0->1) + Atomics.store(0)" }),
      inWorker("futex mutex", "floor", { note: "Drepper's mutex: lock, and unlock without a notify" }),
      inWorker("threadkit Lock acquireSync()", "threadkit"),
      inWorker("threadkit Lock tryAcquire()", "threadkit"),
      inWorker("threadkit Lock await acquire()", "threadkit", { ops: ctx.quick ? 100_000 : 300_000 }),
      inWorker("multithreading Mutex blockingLock()", "competitor", await mt()),
      python("CPython threading.Lock", "lock", ctx.quick ? 100_000 : 300_000, "acquire(); release()"),
    ];
  },
  close,
};

/** Workers as plain as a user's (./plain-worker.mjs): the rows whose name says so run there. */
let plain: BenchWorker[] = [];

export const contended: Workload = {
  name: "threads.lock.contended",
  title: "2 workers x 1,000,000 Lock-protected increments",
  show: "ns/op",
  op: "increment",
  ops: 2_000_000,
  reference: "threadkit Lock acquireSync()",
  counts: [
    { key: "changes", head: "hand-offs per op", per: "op" },
    { key: "contended", head: "contended per op", per: "op" },
    { key: "slept", head: "sleeps", per: "sample" },
    { key: "longest", head: "longest wait", per: "ns" },
    { key: "cores", head: "cores used", per: "ratio" },
  ],
  summarize: parallel,
  targets: [
    speedup(
      "threadkit Lock acquireSync()",
      "futex mutex",
      1 / 1.2,
      "at most 1.2x a hand-written futex mutex",
    ),
    speedup(
      "threadkit Lock acquireSync()",
      "CPython threading.Lock, 2 threads",
      3,
      "at least 3x faster than CPython's threading.Lock",
    ),
  ],
  notes: [
    "Time is from the first worker's start to the last one's end, per increment of both (2 per loop pair).",
    "hand-offs per op: increments that found the previous one made by the other worker (the lock changed " +
      "hands); contended per op: acquires whose first try found the lock taken; sleeps: real Atomics.wait " +
      "blocks of both workers in a sample (threadkit's counted by its core, on cells and on its guard; an " +
      "async wait does not block: —); " +
      "longest wait: the longest contended acquire of either worker, to its release. Medians of the samples.",
    "cores used: both workers' time on a core (Linux's schedstat) over the sample's span: 2 when they ran " +
      "side by side the whole time, 1 when the scheduler ran them one after the other on one core. Then " +
      "the lock is barely contended (a few hand-offs per sample) and every lock costs about its uncontended " +
      "time: a median over samples of both kinds says more about the scheduler than about the lock.",
    "`plain Worker` rows run in workers started with `new Worker(file.mjs)`, no loader, that ran nothing " +
      "else; `counter apart` rows keep the counter 64 bytes from the futex mutex's word (the others share " +
      "its cache line; threadkit's lock word is always in a buffer of its own).",
    "Baselines B10: every lock lands at 42–67 ns here and none wins consistently; the spread is how often " +
      "the lock changes hands.",
  ],
  async prepare(ctx) {
    pool = [new BenchWorker(), new BenchWorker()];
    apart = [new BenchWorker(), new BenchWorker()];
    plain = [new BenchWorker(true), new BenchWorker(true)];
    const half = ctx.quick ? 200_000 : 1_000_000;
    const inWorkers = (name: string, kind: Contender["kind"], extra: Partial<Contender> = {}): Contender => ({
      name,
      kind,
      ...extra,
      run: async (n) => {
        const g = words(1);
        const w = words(APART + 2);
        const at = name.endsWith("counter apart") ? APART : COUNTER;
        w[at + 1] = -1;
        const lock = toHandle(new Lock());
        const each = n / 2;
        const workers = name.endsWith("plain Worker") ? plain : workersOf(name);
        const contender = name.replace(", plain Worker", "");
        const spans = await Promise.all(
          workers.map((p, me) => p.call("count", { contender, n: each, me, gate: g, words: w, lock, at })),
        );
        if (w[at] !== n) throw new Error(`${name}: lost increments: ${w[at]} of ${n}`);
        const counts = {
          changes: spans[0]!.changes + spans[1]!.changes,
          contended: spans[0]!.contended + spans[1]!.contended,
          slept: spans[0]!.slept + spans[1]!.slept,
          longest: Math.max(spans[0]!.longest, spans[1]!.longest),
          cores: (spans[0]!.cpu + spans[1]!.cpu) / across(spans),
        };
        return { ns: across(spans), counts };
      },
    });
    return [
      inWorkers("futex mutex", "floor"),
      inWorkers("futex mutex, counter apart", "floor"),
      inWorkers("futex mutex, plain Worker", "floor"),
      inWorkers("futex mutex, spin 100", "floor", { ops: half }),
      inWorkers("no lock: Atomics.add", "floor", { note: "lock-free, for scale", ops: half }),
      inWorkers("threadkit Lock acquireSync()", "threadkit"),
      inWorkers("threadkit Lock acquireSync(), counter apart", "threadkit"),
      inWorkers("threadkit Lock acquireSync(), plain Worker", "threadkit"),
      inWorkers("threadkit Lock await acquire()", "threadkit", { ops: ctx.quick ? 100_000 : 300_000 }),
      inWorkers("multithreading Mutex blockingLock()", "competitor", {
        ...(await mt()),
        ops: ctx.quick ? 20_000 : 100_000,
      }),
      python("CPython threading.Lock, 2 threads", "lock_2threads", ctx.quick ? 200_000 : 500_000),
    ];
  },
  async close() {
    await Promise.all(plain.map((w) => w.terminate()));
    plain = [];
    await close();
  },
};

/**
 * Samples whose workers were on a core for at least this many cores' worth of the span count as side by
 * side (a quiet 2-core machine gives about 2; a shared one rarely more than 1.8).
 */
const PARALLEL = 1.5;

/** Per row: the median of its parallel samples only, with their hand-offs; the figure to compare locks on. */
function parallel(rows: readonly Row[]): string[] {
  const parts: string[] = [];
  for (const row of rows) {
    const cores = row.counts?.cores ?? [];
    const changes = row.counts?.changes ?? [];
    const at = row.samples.map((_, i) => i).filter((i) => (cores[i] ?? 0) >= PARALLEL);
    if (cores.length === 0 || !cores.some(Number.isFinite)) continue;
    if (at.length === 0) {
      parts.push(`${row.name}: none of ${row.samples.length}`);
      continue;
    }
    const ns = median(at.map((i) => row.samples[i]!));
    const handoffs = median(at.map((i) => changes[i]!));
    parts.push(
      `${row.name}: ${at.length} of ${row.samples.length}, ${fmtNs(ns)} per ${contended.op}, ` +
        `${handoffs.toPrecision(2)} hand-offs per op`,
    );
  }
  return parts.length === 0
    ? []
    : [`samples in which the workers ran side by side (cores used >= ${PARALLEL}): ${parts.join("; ")}.`];
}
