/**
 * Local tier, a bounded queue of 100 between one producer task and one consumer task, 1,000,000 numbers
 * per sample (baselines A5). threadkit is measured three ways: every call awaited; the consumer a
 * `for await` loop; and the synchronous nowait forms with an await only when the queue is full or empty.
 */
import { AsyncQueue } from "@esfx/async-queue";
import { AsyncSemaphore } from "@esfx/async-semaphore";
import { Channel } from "async-channel";
import { Queue } from "threadkit";
import { FloorQueue } from "../floors/local.ts";
import { type Contender, speedup, timed, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";

const CAP = 100;

function expect(sum: number, n: number): void {
  if (sum !== (n * (n - 1)) / 2) throw new Error(`items lost or reordered: sum ${sum}`);
}

export const queue: Workload = {
  name: "local.queue",
  title: "Queue(100), 1 producer and 1 consumer task",
  show: "ops/s",
  op: "item",
  ops: 1_000_000,
  reference: "threadkit Queue await put/get",
  targets: [
    speedup(
      "threadkit Queue await put/get",
      "async-channel Channel(100)",
      1,
      "`await put`/`await get` at least as fast as async-channel",
    ),
    speedup(
      ["threadkit Queue for await", "threadkit Queue nowait forms"],
      "async-channel Channel(100)",
      3,
      "through the async iterator or the nowait forms at least 3x async-channel",
    ),
  ],
  async prepare(ctx) {
    const n = ctx.quick ? 100_000 : 300_000;
    const list: Contender[] = [
      {
        name: "floor queue await put/get",
        kind: "floor",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new FloorQueue<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) await q.put(i);
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) sum += await q.get();
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "floor queue sync fast path",
        kind: "floor",
        note: "awaits only when full or empty",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new FloorQueue<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) if (!q.tryPut(i)) await q.put(i);
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) sum += q.size > 0 ? q.take() : await q.get();
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "threadkit Queue await put/get",
        kind: "threadkit",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new Queue<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) await q.put(i);
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) sum += await q.get();
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "threadkit Queue for await",
        kind: "threadkit",
        note: "producer `await put`; consumer `for await (x of q)`",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new Queue<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) await q.put(i);
              q.shutdown();
            })();
            let sum = 0;
            for await (const x of q) sum += x;
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "threadkit Queue nowait forms",
        kind: "threadkit",
        note: "putNowait/getNowait, await put/get only when full/empty",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new Queue<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) {
                if (q.full()) await q.put(i);
                else q.putNowait(i);
              }
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) sum += q.empty() ? await q.get() : q.getNowait();
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "async-channel Channel(100)",
        kind: "competitor",
        ops: n,
        run: (n) =>
          timed(async () => {
            const q = new Channel<number>(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) await q.push(i);
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) sum += await q.get();
            await producer;
            expect(sum, n);
          }),
      },
      {
        name: "@esfx/async-queue + semaphore(100)",
        kind: "competitor",
        note: "AsyncQueue is unbounded: a semaphore bounds it",
        ops: n / 5,
        run: (n) =>
          timed(async () => {
            const q = new AsyncQueue<number>();
            const slots = new AsyncSemaphore(CAP);
            const producer = (async () => {
              for (let i = 0; i < n; i++) {
                await slots.wait();
                q.put(i);
              }
            })();
            let sum = 0;
            for (let i = 0; i < n; i++) {
              sum += await q.get();
              slots.release();
            }
            await producer;
            expect(sum, n);
          }),
      },
      python("CPython asyncio.Queue(100)", "asyncio_queue", n / 5),
    ];
    return list;
  },
};
