/**
 * Threads tier, moving data between two workers: a Queue of small objects `{ id, payload: 32 chars }` and
 * of numbers, one producer worker and one consumer worker (baselines B9, B11, C), and Barrier cycles.
 *
 * threadkit/threads' Queue and Barrier follow the threads tier's API (`putSync`/`getSync`,
 * `waitSync` in workers, sent as `toHandle(...)`). Where the built package does not export them yet, or a
 * worker cannot use them, their rows say "not available" and why, instead of a number.
 */
import { MessageChannel } from "node:worker_threads";
import * as threads from "threadkit/threads";
import { mpmcInit, RING_CAP, RING_WORDS } from "../floors/atomics.ts";
import { atMost, type Contender, speedup, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";
import type { QueueArgs } from "./jobs.ts";
import {
  barrierCycles,
  channelMissing,
  channelTransfer,
  closeMultithreading,
  multithreadingMissing,
  noted,
} from "./multithreading.ts";
import { across, BenchWorker, words } from "./pool.ts";

let pool: BenchWorker[] = [];

async function close(): Promise<void> {
  await Promise.all(pool.map((w) => w.terminate()));
  pool = [];
  await closeMultithreading();
}

type Maker = new (...args: number[]) => object;

/** The threads-tier class `name` and a way to send it, or why it cannot be benchmarked. */
async function available(
  name: "Queue" | "Barrier",
  ...args: number[]
): Promise<string | (() => threads.Handle)> {
  const Class = (threads as unknown as Record<string, Maker | undefined>)[name];
  if (typeof Class !== "function") return `threadkit/threads does not export ${name} (yet)`;
  const send = () => (threads.toHandle as (p: object) => threads.Handle)(new Class(...args));
  try {
    const probe = send();
    if (name === "Queue") {
      const answer = await pool[0]!.call("probeQueue", { queue: probe });
      if (answer !== "ok") return `a worker's Queue from its handle has ${answer}`;
    }
  } catch (error) {
    return `${name} cannot cross to a worker: ${error instanceof Error ? error.message : String(error)}`;
  }
  return send;
}

function transfer(items: QueueArgs["items"], queueHandle: () => threads.Handle | undefined) {
  return (name: string, kind: Contender["kind"], extra: Partial<Contender> = {}): Contender => ({
    name,
    kind,
    ...extra,
    run: async (n) => {
      const g = words(1);
      const ring = words(RING_WORDS);
      mpmcInit(ring, RING_CAP); // the MPMC ring's sequence numbers (the SPSC rings do not read them)
      const queue = queueHandle();
      const { port1, port2 } = new MessageChannel();
      const spans = await Promise.all(
        (["producer", "consumer"] as const).map((side, i) => {
          const port = i === 0 ? port1 : port2;
          const args: QueueArgs = { contender: name, n, side, items, gate: g, ring, port };
          if (queue !== undefined) args.queue = queue;
          return pool[i]!.call("transfer", args, [port]);
        }),
      );
      const sum = spans[1]!.check!;
      const want = expectedSum(items, n);
      if (sum !== want) throw new Error(`${name}: items lost or altered (sum ${sum}, want ${want})`);
      return across(spans);
    },
  });
}

/**
 * The multithreading package's channel(100), between two of its own workers, where it loads and gives
 * items back intact.
 */
async function channelRow(items: QueueArgs["items"], quick: boolean): Promise<Contender> {
  const missing = await channelMissing(items === "objects");
  return {
    name: "multithreading channel(100)",
    kind: "competitor",
    ops: quick ? 10_000 : 40_000,
    note: noted("blockingSend/blockingRecv, between two of its spawned workers"),
    ...(missing !== undefined ? { unavailable: missing } : {}),
    run: async (n) => {
      const { ns, sum, bad, example } = await channelTransfer(n, items === "objects");
      const want = expectedSum(items, n);
      if (bad > 0 || sum !== want)
        throw new Error(`multithreading channel: ${bad} items altered (${example})`);
      return ns;
    },
  };
}

/** What the consumer's sum of `n` items must be: of the numbers 0..n-1, or of the objects' ids. */
function expectedSum(items: QueueArgs["items"], n: number): number {
  return items === "numbers" ? (n * (n - 1)) / 2 : sumOfIds(n);
}

function sumOfIds(n: number): number {
  const full = Math.floor(n / 1000);
  const rest = n % 1000;
  return full * ((1000 * 999) / 2) + (rest * (rest - 1)) / 2;
}

async function queueContenders(items: QueueArgs["items"], quick: boolean): Promise<Contender[]> {
  pool = [new BenchWorker(), new BenchWorker()];
  const q = await available("Queue", 100);
  const row = transfer(items, typeof q === "function" ? q : () => undefined);
  const tk = "threadkit Queue putSync/getSync";
  const rows = [typeof q === "function" ? row(tk, "threadkit") : { ...row(tk, "threadkit"), unavailable: q }];
  if (items === "numbers") {
    // The floors' ring holds 1024 items: the same queue with their bound, to compare like with like.
    const wide = await available("Queue", RING_CAP);
    const name = `threadkit Queue(${RING_CAP}) putSync/getSync`;
    const note = "the floors' bound: fewer full and empty moments than Queue(100)";
    const sized = transfer(items, typeof wide === "function" ? wide : () => undefined);
    rows.push(
      typeof wide === "function"
        ? sized(name, "threadkit", { note })
        : { ...sized(name, "threadkit"), unavailable: wide },
    );
  }
  return [
    ...rows,
    row("MessagePort postMessage", "competitor", {
      note: "worker -> worker, unbounded",
      ops: quick ? 50_000 : 150_000,
    }),
    await channelRow(items, quick),
    ...(items === "numbers"
      ? [
          row("int32 ring, spin 2000", "floor", { note: "hand-written SPSC ring, cap 1024, cached indices" }),
          row("int32 ring, a mutex per side", "floor", {
            note: "the same ring, each side under a futex mutex, as an MPMC queue with locks",
          }),
          row("int32 ring, lock-free MPMC", "floor", {
            note: "Vyukov's bounded MPMC ring, cap 1024: a compareExchange to claim, a store to publish",
          }),
        ]
      : []),
    python(
      "CPython queue.Queue(100)",
      items === "numbers" ? "queue_numbers" : "queue_objects",
      quick ? 20_000 : 50_000,
      "producer and consumer threads",
    ),
  ];
}

export const objects: Workload = {
  name: "threads.queue.objects",
  title: "Queue(100) of { id, payload: 32 chars } between two workers",
  show: "ops/s",
  op: "item",
  ops: 500_000,
  reference: "threadkit Queue putSync/getSync",
  targets: [
    speedup(
      "threadkit Queue putSync/getSync",
      "MessagePort postMessage",
      2,
      "at least 2x MessagePort postMessage throughput",
    ),
    speedup(
      "threadkit Queue putSync/getSync",
      "CPython queue.Queue(100)",
      4,
      "at least 4x CPython's queue.Queue",
    ),
  ],
  prepare: (ctx) => queueContenders("objects", ctx.quick),
  close,
};

export const numbers: Workload = {
  name: "threads.queue.numbers",
  title: "Queue(100) of numbers between two workers",
  show: "ops/s",
  op: "item",
  ops: 1_000_000,
  reference: "threadkit Queue putSync/getSync",
  targets: [
    atMost("threadkit Queue putSync/getSync", 100, "at least 10 M items/s (at most 100 ns per item)"),
  ],
  prepare: (ctx) => queueContenders("numbers", ctx.quick),
  close,
};

export const barrier: Workload = {
  name: "threads.barrier",
  title: "Barrier(2) cycles between two workers",
  show: "ops/s",
  op: "cycle",
  ops: 50_000,
  reference: "threadkit Barrier(2) waitSync()",
  notes: ["Two parties, one per core: with more workers than the 2 cores, every cycle would sleep."],
  async prepare() {
    pool = [new BenchWorker(), new BenchWorker()];
    const b = await available("Barrier", 2);
    const row = (name: string, kind: Contender["kind"]): Contender => ({
      name,
      kind,
      run: async (n) => {
        const g = words(1);
        const w = words(2);
        const barrier = typeof b === "function" ? b() : undefined;
        const spans = await Promise.all(
          pool.map((p) =>
            p.call("cycles", { contender: name, n, gate: g, words: w, ...(barrier ? { barrier } : {}) }),
          ),
        );
        return across(spans);
      },
    });
    const tk = row("threadkit Barrier(2) waitSync()", "threadkit");
    const missing = await multithreadingMissing();
    return [
      row("futex barrier, spin 2000", "floor"),
      typeof b === "function" ? tk : { ...tk, unavailable: b },
      {
        name: "multithreading Barrier(2) blockingWait()",
        kind: "competitor",
        ops: 10_000,
        note: noted("between two of its spawned workers"),
        ...(missing !== undefined ? { unavailable: missing } : {}),
        run: barrierCycles,
      },
    ];
  },
  close,
};
