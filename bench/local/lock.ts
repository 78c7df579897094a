/**
 * Local tier, mutexes: the uncontended acquire+release (baselines A1/A2) and 100 tasks x 1,000 contended
 * cycles (A3). Every contender has its own loop, written out, so no call site is shared between libraries
 * (a shared one would turn megamorphic and slow every contender down alike).
 */

import { createRequire } from "node:module";
import { AsyncMutex } from "@esfx/async-mutex";
import { Mutex } from "async-mutex";
import { Sema } from "async-sema";
import AwaitLock from "await-lock";
import pLimit from "p-limit";
import { Lock } from "threadkit";
import { FloorMutex } from "../floors/local.ts";
import { type Contender, speedup, timed, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";

// async-mutex ships two builds; an ESM importer gets ./index.mjs, a CommonJS one ./lib. Both are measured
// because they differ by ~4x (baselines A2: the ESM build's generator-based __awaiter).
const MutexCjs = (createRequire(import.meta.url)("async-mutex") as typeof import("async-mutex")).Mutex;

const COMPETITORS = [
  "async-mutex Mutex (ESM)",
  "async-mutex Mutex (CJS)",
  "async-sema Sema(1)",
  "await-lock",
  "@esfx/async-mutex",
  "p-limit(1)",
];

export const uncontended: Workload = {
  name: "local.lock.uncontended",
  title: "uncontended Lock acquire+release, one task",
  show: "ns/op",
  op: "cycle",
  ops: 300_000,
  reference: "threadkit Lock",
  targets: [
    speedup(
      "threadkit Lock",
      "await Promise.resolve()",
      1 / 1.2,
      "within 1.2x of one `await Promise.resolve()`",
    ),
    speedup("threadkit Lock", COMPETITORS, 1.3, "at least 1.3x faster than the fastest competitor"),
    speedup("threadkit Lock", "async-mutex Mutex (ESM)", 10, "at least 10x faster than async-mutex's Mutex"),
    speedup(
      "threadkit Lock",
      "async-mutex Mutex (CJS)",
      10,
      "at least 10x faster than async-mutex's Mutex (its CJS build)",
    ),
  ],
  async prepare(ctx) {
    const small = (n: number) => (ctx.quick ? n / 5 : n);
    const list: Contender[] = [
      {
        name: "await Promise.resolve()",
        kind: "floor",
        run: (n) =>
          timed(async () => {
            for (let i = 0; i < n; i++) await Promise.resolve();
          }),
      },
      {
        // The least any awaited acquire can cost: the await itself, of a promise made once. (A competitor's
        // time over this row is the most an awaited acquire can gain on it.)
        name: "await of one settled promise",
        kind: "floor",
        note: "`await p`, p made once: what `await acquire()` costs at best",
        run: (n) => {
          const p = Promise.resolve(true);
          return timed(async () => {
            for (let i = 0; i < n; i++) await p;
          });
        },
      },
      {
        name: "floor mutex",
        kind: "floor",
        run: (n) => {
          const m = new FloorMutex();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              await m.acquire();
              m.release();
            }
          });
        },
      },
      {
        name: "threadkit Lock",
        kind: "threadkit",
        run: (n) => {
          const lock = new Lock();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              await lock.acquire();
              lock.release();
            }
          });
        },
      },
      {
        name: "threadkit Lock tryAcquire()",
        kind: "threadkit",
        note: "synchronous fast path, no await",
        ops: 1_000_000,
        run: (n) => {
          const lock = new Lock();
          return timed(() => {
            for (let i = 0; i < n; i++) {
              if (!lock.tryAcquire()) throw new Error("lock was taken");
              lock.release();
            }
          });
        },
      },
      {
        name: "threadkit Lock run(fn)",
        kind: "threadkit",
        note: "`with lock:`",
        ops: small(100_000),
        run: (n) => {
          const lock = new Lock();
          const fn = () => undefined;
          return timed(async () => {
            for (let i = 0; i < n; i++) await lock.run(fn);
          });
        },
      },
      {
        name: "async-mutex Mutex (ESM)",
        kind: "competitor",
        ops: small(20_000),
        run: (n) => {
          const m = new Mutex();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              const release = await m.acquire();
              release();
            }
          });
        },
      },
      {
        name: "async-mutex Mutex (CJS)",
        kind: "competitor",
        ops: small(30_000),
        run: (n) => {
          const m = new MutexCjs();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              const release = await m.acquire();
              release();
            }
          });
        },
      },
      {
        name: "async-sema Sema(1)",
        kind: "competitor",
        run: (n) => {
          const s = new Sema(1);
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              await s.acquire();
              s.release();
            }
          });
        },
      },
      {
        name: "await-lock",
        kind: "competitor",
        run: (n) => {
          const l = new AwaitLock();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              await l.acquireAsync();
              l.release();
            }
          });
        },
      },
      {
        name: "@esfx/async-mutex",
        kind: "competitor",
        ops: small(100_000),
        run: (n) => {
          const m = new AsyncMutex();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              await m.lock();
              m.unlock();
            }
          });
        },
      },
      {
        name: "p-limit(1)",
        kind: "competitor",
        ops: small(30_000),
        run: (n) => {
          const limit = pLimit(1);
          const fn = async () => undefined;
          return timed(async () => {
            for (let i = 0; i < n; i++) await limit(fn);
          });
        },
      },
      python("CPython asyncio.Lock", "asyncio_lock", small(100_000), "await acquire(); release()"),
    ];
    return list;
  },
};

const TASKS = 100;

/** Starts `TASKS` tasks that each run `cycle` n/TASKS times, and times them until all are done. */
function contend(n: number, task: (cycles: number) => Promise<void>): Promise<number> {
  const per = n / TASKS;
  return timed(async () => {
    const all: Promise<void>[] = [];
    for (let t = 0; t < TASKS; t++) all.push(task(per));
    await Promise.all(all);
  });
}

/** Checks that the lock really excluded: every increment landed. */
function expect(counter: number, n: number): void {
  if (counter !== n) throw new Error(`lost increments: ${counter} of ${n}`);
}

export const contended: Workload = {
  name: "local.lock.contended",
  title: "100 tasks x 1,000 Lock cycles (acquire; c++; release)",
  show: "ops/s",
  op: "cycle",
  ops: TASKS * 1000,
  reference: "threadkit Lock",
  targets: [
    speedup("threadkit Lock", "floor mutex", 0.9, "at least 0.9x the floor mutex"),
    speedup("threadkit Lock", COMPETITORS, 1.3, "at least 1.3x the fastest competitor"),
  ],
  async prepare() {
    let c = 0;
    const list: Contender[] = [
      {
        name: "floor mutex",
        kind: "floor",
        run: async (n) => {
          const m = new FloorMutex();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await m.acquire();
              c++;
              m.release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "threadkit Lock",
        kind: "threadkit",
        run: async (n) => {
          const lock = new Lock();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await lock.acquire();
              c++;
              lock.release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "async-mutex Mutex (ESM)",
        kind: "competitor",
        ops: 10_000,
        run: async (n) => {
          const m = new Mutex();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              const release = await m.acquire();
              c++;
              release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "async-mutex Mutex (CJS)",
        kind: "competitor",
        ops: 10_000,
        run: async (n) => {
          const m = new MutexCjs();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              const release = await m.acquire();
              c++;
              release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "async-sema Sema(1)",
        kind: "competitor",
        run: async (n) => {
          const s = new Sema(1);
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await s.acquire();
              c++;
              s.release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "await-lock",
        kind: "competitor",
        run: async (n) => {
          const l = new AwaitLock();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await l.acquireAsync();
              c++;
              l.release();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "@esfx/async-mutex",
        kind: "competitor",
        ops: 30_000,
        run: async (n) => {
          const m = new AsyncMutex();
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) {
              await m.lock();
              c++;
              m.unlock();
            }
          });
          expect(c, n);
          return ns;
        },
      },
      {
        name: "p-limit(1)",
        kind: "competitor",
        ops: 20_000,
        run: async (n) => {
          const limit = pLimit(1);
          const fn = async () => {
            c++;
          };
          c = 0;
          const ns = await contend(n, async (k) => {
            for (let i = 0; i < k; i++) await limit(fn);
          });
          expect(c, n);
          return ns;
        },
      },
      python(
        "CPython asyncio.Lock",
        "asyncio_lock_contended",
        undefined,
        "an acquire that finds the lock free never suspends, so the tasks run one after another",
      ),
    ];
    return list;
  },
};
