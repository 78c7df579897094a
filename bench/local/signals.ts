/**
 * Local tier, the primitives that signal rather than exclude: Event and Condition ping-pong between two
 * tasks, Barrier(10) cycles, and an RLock re-entered 10 deep. No npm library users pick for this has these
 * (async-mutex and friends stop at mutex and semaphore), so the comparison is the floor and CPython.
 */
import { Barrier, Condition, Event, Lock, RLock } from "threadkit";
import { FloorBarrier, FloorEvent } from "../floors/local.ts";
import { type Contender, timed, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";

export const eventPingPong: Workload = {
  name: "local.event",
  title: "Event ping-pong between two tasks (set, wait, clear)",
  show: "ns/op",
  op: "round trip",
  ops: 100_000,
  reference: "threadkit Event",
  async prepare(ctx) {
    const list: Contender[] = [
      {
        name: "floor event",
        kind: "floor",
        run: (n) =>
          timed(async () => {
            const ping = new FloorEvent();
            const pong = new FloorEvent();
            const echo = (async () => {
              for (let i = 0; i < n; i++) {
                await ping.wait();
                ping.clear();
                pong.set();
              }
            })();
            for (let i = 0; i < n; i++) {
              ping.set();
              await pong.wait();
              pong.clear();
            }
            await echo;
          }),
      },
      {
        name: "threadkit Event",
        kind: "threadkit",
        run: (n) =>
          timed(async () => {
            const ping = new Event();
            const pong = new Event();
            const echo = (async () => {
              for (let i = 0; i < n; i++) {
                await ping.wait();
                ping.clear();
                pong.set();
              }
            })();
            for (let i = 0; i < n; i++) {
              ping.set();
              await pong.wait();
              pong.clear();
            }
            await echo;
          }),
      },
      python("CPython asyncio.Event", "asyncio_event_pingpong", ctx.quick ? 1_000 : 5_000),
      python("CPython threading.Event (2 threads)", "event_pingpong", ctx.quick ? 500 : 2_000),
    ];
    return list;
  },
};

export const conditionPingPong: Workload = {
  name: "local.condition",
  title: "Condition ping-pong between two tasks (turn flag, wait, notify)",
  show: "ns/op",
  op: "round trip",
  ops: 100_000,
  reference: "threadkit Condition(Lock)",
  notes: [
    "A Condition over its default RLock would let two plain tasks of one thread re-enter (as two pieces of " +
      "code on one Python thread would), so the tasks share a Condition over a Lock.",
  ],
  async prepare(ctx) {
    const list: Contender[] = [
      {
        name: "floor (promise hand-off)",
        kind: "floor",
        note: "each side resolves the promise the other awaits",
        run: (n) =>
          timed(async () => {
            let wakeB: () => void = () => {};
            let wakeA: () => void = () => {};
            const b = (async () => {
              for (let i = 0; i < n; i++) {
                await new Promise<void>((r) => (wakeB = r));
                wakeA();
              }
            })();
            await Promise.resolve(); // b is now waiting
            for (let i = 0; i < n; i++) {
              const back = new Promise<void>((r) => (wakeA = r));
              wakeB();
              await back;
            }
            await b;
          }),
      },
      {
        name: "threadkit Condition(Lock)",
        kind: "threadkit",
        run: (n) =>
          timed(async () => {
            const cond = new Condition(new Lock());
            let turn = 0;
            const side = async (me: number) => {
              for (let i = 0; i < n; i++) {
                await cond.acquire();
                while (turn !== me) await cond.wait();
                turn = 1 - me;
                cond.notify();
                cond.release();
              }
            };
            await Promise.all([side(0), side(1)]);
          }),
      },
      python("CPython threading.Condition (2 threads)", "cond_pingpong", ctx.quick ? 1_000 : 5_000),
    ];
    return list;
  },
};

export const barrier: Workload = {
  name: "local.barrier",
  title: "Barrier(10): 10 tasks pass it together, cycle after cycle",
  show: "ops/s",
  op: "cycle",
  ops: 20_000,
  reference: "threadkit Barrier(10)",
  async prepare() {
    const parties = (n: number, wait: () => Promise<unknown>) =>
      timed(async () => {
        const all: Promise<void>[] = [];
        for (let p = 0; p < 10; p++) {
          all.push(
            (async () => {
              for (let i = 0; i < n; i++) await wait();
            })(),
          );
        }
        await Promise.all(all);
      });
    const list: Contender[] = [
      {
        name: "floor barrier",
        kind: "floor",
        run: (n) => {
          const b = new FloorBarrier(10);
          return parties(n, () => b.wait());
        },
      },
      {
        name: "threadkit Barrier(10)",
        kind: "threadkit",
        run: (n) => {
          const b = new Barrier(10);
          return parties(n, () => b.wait());
        },
      },
      python("CPython asyncio.Barrier(10)", "asyncio_barrier10", 500),
    ];
    return list;
  },
};

export const rlock: Workload = {
  name: "local.rlock",
  title: "RLock re-entered 10 deep, then released 10 times",
  show: "ns/op",
  op: "10-deep cycle",
  ops: 30_000,
  reference: "threadkit RLock await acquire()",
  notes: [
    "The nested run() row turns on AsyncLocalStorage in its first warm-up, so every row here is measured " +
      "with it on (it slows every promise in Node 20); the other workloads run in processes of their own, without it.",
  ],
  async prepare() {
    const list: Contender[] = [
      {
        name: "floor: 10 x await a resolved promise",
        kind: "floor",
        note: "the awaits alone, no lock",
        run: (n) => {
          const done = Promise.resolve(true);
          return timed(async () => {
            for (let i = 0; i < n; i++) for (let d = 0; d < 10; d++) await done;
          });
        },
      },
      {
        name: "threadkit RLock await acquire()",
        kind: "threadkit",
        run: (n) => {
          const lock = new RLock();
          return timed(async () => {
            for (let i = 0; i < n; i++) {
              for (let d = 0; d < 10; d++) await lock.acquire();
              for (let d = 0; d < 10; d++) lock.release();
            }
          });
        },
      },
      {
        name: "threadkit RLock tryAcquire()",
        kind: "threadkit",
        note: "synchronous",
        ops: 100_000,
        run: (n) => {
          const lock = new RLock();
          return timed(() => {
            for (let i = 0; i < n; i++) {
              for (let d = 0; d < 10; d++) if (!lock.tryAcquire()) throw new Error("not re-entered");
              for (let d = 0; d < 10; d++) lock.release();
            }
          });
        },
      },
      {
        name: "threadkit RLock nested run()",
        kind: "threadkit",
        note: "each run() opens a scope (AsyncLocalStorage: from here on every promise is slower)",
        ops: 10_000,
        run: (n) => {
          const lock = new RLock();
          const nest = (d: number): Promise<void> | undefined =>
            d === 0 ? undefined : lock.run(() => nest(d - 1));
          return timed(async () => {
            for (let i = 0; i < n; i++) await nest(10);
          });
        },
      },
      python("CPython threading.RLock", "rlock10", 30_000, "synchronous, as Python's"),
    ];
    return list;
  },
};
