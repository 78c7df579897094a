/**
 * Local tier, Semaphore(10) with 1,000 tasks x 100 acquire+release (baselines A4, hold=0): 10 permits,
 * 990 tasks queued at any time, each release a hand-off.
 */
import { AsyncSemaphore } from "@esfx/async-semaphore";
import { Semaphore as AmSemaphore } from "async-mutex";
import { Sema } from "async-sema";
import pLimit from "p-limit";
import { Semaphore } from "threadkit";
import { FloorSemaphore } from "../floors/local.ts";
import { type Contender, speedup, timed, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";

const TASKS = 1000;

function crowd(n: number, task: (cycles: number) => Promise<void>): Promise<number> {
  const per = n / TASKS;
  return timed(async () => {
    const all: Promise<void>[] = [];
    for (let t = 0; t < TASKS; t++) all.push(task(per));
    await Promise.all(all);
  });
}

export const semaphore: Workload = {
  name: "local.semaphore",
  title: "Semaphore(10), 1,000 tasks x 100 acquire+release",
  show: "ops/s",
  op: "acquisition",
  ops: TASKS * 100,
  reference: "threadkit Semaphore",
  targets: [
    speedup("threadkit Semaphore", "floor semaphore", 0.9, "at least 0.9x the floor"),
    speedup("threadkit Semaphore", "async-sema Sema(10)", 1.5, "at least 1.5x async-sema"),
  ],
  async prepare() {
    const list: Contender[] = [
      {
        name: "floor semaphore",
        kind: "floor",
        run: (n) => {
          const s = new FloorSemaphore(10);
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await s.acquire();
              s.release();
            }
          });
        },
      },
      {
        name: "threadkit Semaphore",
        kind: "threadkit",
        run: (n) => {
          const s = new Semaphore(10);
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await s.acquire();
              s.release();
            }
          });
        },
      },
      {
        name: "async-sema Sema(10)",
        kind: "competitor",
        run: (n) => {
          const s = new Sema(10);
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await s.acquire();
              s.release();
            }
          });
        },
      },
      {
        name: "async-mutex Semaphore(10)",
        kind: "competitor",
        run: (n) => {
          const s = new AmSemaphore(10);
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) {
              const [, release] = await s.acquire();
              release();
            }
          });
        },
      },
      {
        name: "@esfx/async-semaphore",
        kind: "competitor",
        run: (n) => {
          const s = new AsyncSemaphore(10);
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await s.wait();
              s.release();
            }
          });
        },
      },
      {
        name: "p-limit(10)",
        kind: "competitor",
        ops: 30_000,
        run: (n) => {
          const limit = pLimit(10);
          const fn = async () => undefined;
          return crowd(n, async (k) => {
            for (let i = 0; i < k; i++) await limit(fn);
          });
        },
      },
      python(
        "CPython asyncio.Semaphore(10)",
        "asyncio_sem",
        30_000,
        "a free permit is taken without suspending, so most tasks never queue",
      ),
    ];
    return list;
  },
};
