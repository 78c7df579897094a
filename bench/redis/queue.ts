/**
 * Redis tier, Queue: items from a producer process to a consumer process, each awaiting one put or get at a
 * time, against the bare LPUSH / BLPOP pair that a hand-made Redis queue is. Every sample checks that the
 * consumer got every item.
 */
import { speedup, type Workload } from "../harness.ts";
import { Setup } from "./procs.ts";

const setup = new Setup();
let names = 0;

const BARE = "LPUSH / BLPOP";
const TK = "threadkit Queue put()/get()";
const TK_BOUNDED = "threadkit Queue(100) put()/get()";

export const queue: Workload = {
  name: "redis.queue",
  title: "Queue between two processes, 1 producer / 1 consumer",
  show: "ops/s",
  op: "item",
  ops: 2_000,
  reference: TK,
  targets: [
    speedup(TK, BARE, 0.5, "at least half the throughput of a bare LPUSH/BLPOP pair"),
    speedup(TK_BOUNDED, BARE, 0.5, "bounded: at least half the throughput of a bare LPUSH/BLPOP pair"),
  ],
  notes: [
    "Time runs from the producer's first put to the consumer's last get, in two processes (process.hrtime, " +
      "one clock for every process of the machine). Items are the numbers 0..n-1; BLPOP blocks on a " +
      "connection of its own.",
  ],
  async prepare(ctx) {
    const { agents } = await setup.open(2);
    const [producer, consumer] = agents as [(typeof agents)[0], (typeof agents)[0]];
    const row = (name: string, kind: "floor" | "threadkit") => ({
      name,
      kind,
      ops: ctx.quick ? 500 : 2_000,
      run: async (n: number) => {
        const q = `bench-queue-${process.pid}-${++names}`;
        const got = consumer.call({ op: "consume", contender: name, name: q, n });
        const put = producer.call({ op: "produce", contender: name, name: q, n });
        const [end, start] = await Promise.all([got, put]);
        if (end.sum !== (n * (n - 1)) / 2) throw new Error(`${name}: items lost or altered (sum ${end.sum})`);
        return end.t! - start.t!;
      },
    });
    return [row(BARE, "floor"), row(TK, "threadkit"), row(TK_BOUNDED, "threadkit")];
  },
  close: () => setup.close(),
};
