/**
 * Threads tier, hand-off latency: a ping-pong between two workers, one round trip = two wake-ups
 * (baselines B7, B9, C). On this VM a futex sleep + wake costs ~55 us per round trip; only spinning before
 * sleeping gets below it, which is what threadkit's core does.
 */
import { MessageChannel } from "node:worker_threads";
import { Condition, Event, toHandle } from "threadkit/threads";
import { atMost, type Contender, type Workload } from "../harness.ts";
import { python } from "../python/python.ts";
import { across, BenchWorker, words } from "./pool.ts";

let pool: BenchWorker[] = [];

export const handoff: Workload = {
  name: "threads.handoff",
  title: "Event / Condition ping-pong between two workers",
  show: "ns/op",
  op: "round trip",
  ops: 50_000,
  reference: "threadkit Event waitSync()",
  counts: [{ key: "slept", head: "sleeps per round trip", per: "op" }],
  targets: [
    atMost("threadkit Event waitSync()", 2000, "Event ping-pong median at most 2 us"),
    atMost("threadkit Condition waitSync()", 2000, "Condition ping-pong median at most 2 us"),
  ],
  notes: [
    "sleeps per round trip: real Atomics.wait blocks of both sides (threadkit's counted by its core, the " +
      "floors' by their loops; an async wait does not block: —); 2 means both sides slept every time, 0 " +
      "that every wake-up was caught spinning.",
  ],
  async prepare(ctx) {
    pool = [new BenchWorker(), new BenchWorker()];
    const slow = ctx.quick ? 500 : 2_000; // round trips per sample for the ones that sleep every time
    const inWorkers = (name: string, kind: Contender["kind"], extra: Partial<Contender> = {}): Contender => ({
      name,
      kind,
      ...extra,
      run: async (n) => {
        const g = words(1);
        const w = words(1);
        const ping = toHandle(new Event());
        const pong = toHandle(new Event());
        const cond = toHandle(new Condition());
        const { port1, port2 } = new MessageChannel();
        const spans = await Promise.all(
          pool.map((p, side) => {
            const port = side === 0 ? port1 : port2;
            const args = {
              contender: name,
              n,
              side: side as 0 | 1,
              gate: g,
              words: w,
              ping,
              pong,
              cond,
              port,
            };
            return p.call("ping", args, [port]);
          }),
        );
        return { ns: across(spans), counts: { slept: spans[0]!.slept + spans[1]!.slept } };
      },
    });
    return [
      inWorkers("futex wait/notify", "floor", { ops: slow, note: "Atomics.wait/notify, no spinning" }),
      inWorkers("spin 2000, then wait", "floor"),
      inWorkers("threadkit Event waitSync()", "threadkit"),
      inWorkers("threadkit Event await wait()", "threadkit", { ops: ctx.quick ? 2_000 : 10_000 }),
      inWorkers("threadkit Condition waitSync()", "threadkit"),
      inWorkers("MessagePort echo", "competitor", { ops: slow, note: "worker <-> worker" }),
      python("CPython threading.Condition", "cond_pingpong", slow),
      python("CPython threading.Event", "event_pingpong", slow),
    ];
  },
  async close() {
    await Promise.all(pool.map((w) => w.terminate()));
    pool = [];
  },
};
