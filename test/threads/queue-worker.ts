/**
 * Worker entry of test/threads/queue.test.ts: runs the export of this module named in workerData with its
 * args (queue handles made live queues), and posts `{ ok }` or `{ error }` (see ./spawn.ts runIn).
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Event } from "../../src/threads/event.ts";
import { fromHandle, isHandle } from "../../src/threads/handle.ts";
import type { Queue, SimpleQueue } from "../../src/threads/queue.ts";

type Mode = "sync" | "async";
type AnyQueue = Queue<unknown> | SimpleQueue<unknown>;

function isShutDown(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_QUEUE_SHUT_DOWN";
}

/** Puts `id * 1_000_000 + i` for i < count (stopping at QueueShutDown); returns how many it put. */
export async function produce(q: Queue<number>, id: number, count: number, mode: Mode) {
  for (let i = 0; i < count; i++) {
    try {
      if (mode === "sync") q.putSync(id * 1_000_000 + i);
      else await q.put(id * 1_000_000 + i);
    } catch (error) {
      if (isShutDown(error)) return i;
      throw error;
    }
  }
  return count;
}

/** Gets (marking each done) until the queue is shut down and drained; returns what it got, in order. */
export async function consume(q: Queue<unknown>, mode: Mode) {
  const got: unknown[] = [];
  for (;;) {
    try {
      got.push(mode === "sync" ? q.getSync() : await q.get());
    } catch (error) {
      if (isShutDown(error)) return got;
      throw error;
    }
    q.taskDone();
  }
}

/** Puts every item, blocking (or awaiting) when the queue is full. */
export async function putAll(q: AnyQueue, items: unknown[], mode: Mode) {
  for (const item of items) {
    if (mode === "sync") q.putSync(item);
    else await q.put(item);
  }
  return items.length;
}

/** Waits for `go` (blocking), then gets `n` items blocking; returns them in order. */
export function getNAfter(q: AnyQueue, go: Event, n: number) {
  if (!go.waitSync({ timeout: 30_000 })) throw new Error("go was never set");
  const got: unknown[] = [];
  for (let i = 0; i < n; i++) got.push(q.getSync({ timeout: 30_000 }));
  return got;
}

/** Gets `n` items (blocking or awaiting); returns them in order. */
export async function getN(q: AnyQueue, n: number, mode: Mode, timeout?: number) {
  const got: unknown[] = [];
  const opts = timeout === undefined ? undefined : { timeout };
  for (let i = 0; i < n; i++) got.push(mode === "sync" ? q.getSync(opts) : await q.get(opts));
  return got;
}

/** Gets `n` items from `from` and puts each on `to` as it came (the values cross two threads). */
export function echo(from: Queue<unknown>, to: Queue<unknown>, n: number) {
  for (let i = 0; i < n; i++) to.putSync(from.getSync());
  return n;
}

/** Tries to put what cannot be carried; returns the error names it got, and the queue's size after. */
export function putUncloneable(q: Queue<unknown>) {
  const names: string[] = [];
  for (const bad of [
    () => 1,
    Symbol("s"),
    { f() {} },
    [1, Symbol("t")],
    [new SharedArrayBuffer(8), () => 1],
  ]) {
    try {
      q.putSync(bad);
      names.push("none");
    } catch (error) {
      names.push((error as Error).name);
    }
  }
  return { names, qsize: q.qsize() };
}

/**
 * Gets an item holding shared memory (`{ buffer, view }`, the view an Int32Array over the buffer), writes
 * 42 through the view and 43 into the buffer's word 0, then puts on `back` a buffer of its own holding 7 and
 * a view of it; returns what it saw of the item.
 */
export function shareBack(q: Queue<unknown>, back: Queue<unknown>) {
  const item = q.getSync({ timeout: 30_000 }) as { buffer: SharedArrayBuffer; view: Int32Array };
  const seen = {
    buffer: item.buffer instanceof SharedArrayBuffer,
    same: item.view.buffer === item.buffer,
    offset: item.view.byteOffset,
    before: Atomics.load(item.view, 0),
  };
  Atomics.store(item.view, 0, 42);
  Atomics.store(new Int32Array(item.buffer), 0, 43);
  const mine = new Int32Array(new SharedArrayBuffer(8));
  mine[1] = 7;
  back.putSync([mine.buffer, mine.subarray(1)]);
  // Waits for the main thread to write into the buffer it got, then reports what it reads.
  const deadline = performance.now() + 30_000;
  while (Atomics.load(mine, 0) !== 99 && performance.now() < deadline) Atomics.wait(mine, 0, 0, 10);
  return { ...seen, written: Atomics.load(mine, 0) };
}

/** Strings of growing length (`count` of them, up to `max` characters), put with putSync. */
export function putStrings(q: Queue<string>, count: number, max: number) {
  for (let i = 0; i < count; i++) q.putSync(`${i}:${"é".repeat(i % max)}`);
  return count;
}

/** The `i`-th item of putMixed: every third a number, the others strings of up to `max` characters. */
export function mixed(i: number, max: number): number | string {
  return i % 3 === 0 ? i : `${i}:${"é".repeat(i % max)}`;
}

/** Puts `count` mixed items with putSync. */
export function putMixed(q: Queue<number | string>, count: number, max: number) {
  for (let i = 0; i < count; i++) q.putSync(mixed(i, max));
  return count;
}

/** Gets `count` items with getSync and checks each against putMixed's; returns the first wrong one, or null. */
export function checkMixed(q: Queue<number | string>, count: number, max: number) {
  for (let i = 0; i < count; i++) {
    const got = q.getSync({ timeout: 30_000 });
    if (got !== mixed(i, max)) return { i, got };
  }
  return null;
}

/** Gets `n` items, counting each in `counter[0]` just before its taskDone(). */
export function getAndDone(q: Queue<unknown>, n: number, counter: Int32Array) {
  for (let i = 0; i < n; i++) {
    q.getSync({ timeout: 30_000 });
    Atomics.add(counter, 0, 1);
    q.taskDone();
  }
  return n;
}

/**
 * One taskDone() that pauses wherever it looks at the unfinished count and finds 0 (`flag[0]` 1, until the
 * test sets 2): the gap between that look and the wake-up of the joiners, held open. `flag[0]` is 3 after.
 */
export function taskDonePaused(q: Queue<unknown>, flag: Int32Array) {
  const store = (q as unknown as { _store: { unfinished(): number } })._store;
  const real = store.unfinished.bind(store);
  store.unfinished = () => {
    const n = real();
    if (n === 0 && Atomics.compareExchange(flag, 0, 0, 1) === 0) Atomics.wait(flag, 0, 1, 20_000);
    return n;
  };
  q.taskDone();
  Atomics.store(flag, 0, 3);
  return true;
}

if (!isMainThread && parentPort !== null && (workerData as { queueTask?: string })?.queueTask) {
  const { queueTask, args } = workerData as { queueTask: string; args: unknown[] };
  const live = args.map((a) => (isHandle(a) ? fromHandle(a) : a));
  try {
    const table: Record<string, (...a: never[]) => unknown> = {
      produce,
      consume,
      putAll,
      getN,
      echo,
      putUncloneable,
      putStrings,
      putMixed,
      checkMixed,
      getAndDone,
      taskDonePaused,
      getNAfter,
      shareBack,
    };
    parentPort.postMessage({ ok: await table[queueTask]!(...(live as never[])) });
  } catch (e) {
    const error = e as { name?: string; code?: string; message?: string };
    parentPort.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
  }
}
