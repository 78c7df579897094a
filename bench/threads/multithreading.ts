/**
 * The `multithreading` package (a competitor of the threads tier), loaded the same way on the main thread
 * and in the bench workers. It expects what Node has only from version 22 (`navigator`, from 21, and
 * `Promise.withResolvers`): on Node 20 they are given to it first, as a user of Node 20 would have to.
 */
import os from "node:os";

type Multithreading = typeof import("multithreading");

const lacking = [
  typeof (globalThis as { navigator?: unknown }).navigator === "undefined" ? "navigator" : "",
  typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function" ? "Promise.withResolvers" : "",
].filter(Boolean);

/** A note for one of its rows: `text`, and what was polyfilled when Node lacks what the package expects. */
export function noted(text: string): string {
  return lacking.length > 0
    ? `${text}; Node ${process.versions.node} lacks ${lacking.join(" and ")}: polyfilled`
    : text;
}

export async function importMultithreading(): Promise<Multithreading> {
  const g = globalThis as { navigator?: { hardwareConcurrency: number } };
  g.navigator ??= { hardwareConcurrency: os.availableParallelism() };
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
  return import("multithreading");
}

/** Why the package cannot run here, or undefined if it loads. */
export async function multithreadingMissing(): Promise<string | undefined> {
  try {
    await importMultithreading();
    return undefined;
  } catch (error) {
    return `does not load on Node ${process.versions.node}: ${String(error)}`;
  }
}

/**
 * `n` items through the package's channel(100), from one of its spawned workers to another, as its README
 * shows (`spawn(move(...))`): the nanoseconds from the first start to the last end, and the consumer's sum
 * of the numbers (or ids), with how many items came out other than they went in and the first of them.
 * The two start together (the gate), as threadkit's workers do. The spawned functions are sent as
 * source, so they close over nothing.
 */
export async function channelTransfer(n: number, objects: boolean): Promise<Transfer> {
  const { channel, move, spawn } = await importMultithreading();
  const [tx, rx] = channel<unknown>(100);
  const gate = new Int32Array(new SharedArrayBuffer(4));
  type Span = { start: number; end: number; sum: number; bad: number; example: string };
  const producer = spawn(move(tx, n, objects, gate), (tx, n, objects, gate) => {
    Atomics.add(gate, 0, 1);
    while (Atomics.load(gate, 0) < 2);
    const start = Number(process.hrtime.bigint());
    for (let i = 0; i < n; i++) {
      const r = tx.blockingSend(objects ? { id: i % 1000, payload: "abcdefghijklmnopqrstuvwxyz012345" } : i);
      if (!r.ok) throw r.error;
    }
    return { start, end: Number(process.hrtime.bigint()), sum: 0, bad: 0, example: "" } as Span;
  });
  const consumer = spawn(move(rx, n, objects, gate), (rx, n, objects, gate) => {
    Atomics.add(gate, 0, 1);
    while (Atomics.load(gate, 0) < 2);
    const start = Number(process.hrtime.bigint());
    let sum = 0;
    let bad = 0;
    let example = "";
    for (let i = 0; i < n; i++) {
      const r = rx.blockingRecv();
      if (!r.ok) throw r.error;
      const v = r.value as { id: number; payload: string } | number;
      const ok = objects
        ? typeof v === "object" && v.id === i % 1000 && v.payload === "abcdefghijklmnopqrstuvwxyz012345"
        : v === i;
      if (!ok && bad++ === 0) example = `item ${i} came out as ${JSON.stringify(v)}`;
      sum += typeof v === "object" ? v.id : v;
    }
    return { start, end: Number(process.hrtime.bigint()), sum, bad, example } as Span;
  });
  const spans: Span[] = [];
  for (const h of [producer, consumer]) {
    const r = await h.join();
    if (!r.ok) throw r.error;
    spans.push(r.value);
  }
  const ns = Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
  const { sum, bad, example } = spans[1]!;
  return { ns, sum, bad, example };
}

export interface Transfer {
  ns: number;
  sum: number;
  bad: number;
  example: string;
}

/** Why the channel cannot be measured here (it does not load, or a probe got items back altered). */
export async function channelMissing(objects: boolean): Promise<string | undefined> {
  const missing = await multithreadingMissing();
  if (missing !== undefined) return missing;
  const n = 10_000;
  const { bad, example } = await channelTransfer(n, objects);
  return bad === 0 ? undefined : `its channel altered ${bad} of ${n} items in a probe run (${example})`;
}

/** `n` cycles of the package's Barrier(2) between two of its spawned workers: the nanoseconds they took. */
export async function barrierCycles(n: number): Promise<number> {
  const { Barrier, move, spawn } = await importMultithreading();
  const barrier = new Barrier(2);
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const side = () =>
    spawn(move(barrier, n, gate), (barrier, n, gate) => {
      Atomics.add(gate, 0, 1);
      while (Atomics.load(gate, 0) < 2);
      const start = Number(process.hrtime.bigint());
      for (let i = 0; i < n; i++) barrier.blockingWait();
      return { start, end: Number(process.hrtime.bigint()) };
    });
  const spans: { start: number; end: number }[] = [];
  for (const h of [side(), side()]) {
    const r = await h.join();
    if (!r.ok) throw r.error;
    spans.push(r.value);
  }
  return Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
}

/** Stops the package's worker pool, if it was loaded. */
export async function closeMultithreading(): Promise<void> {
  if ((await multithreadingMissing()) === undefined) (await importMultithreading()).shutdown();
}
