/**
 * Child process of ./memory.test.ts (run with --expose-gc): builds what `argv[2]` names, drops it, collects,
 * and prints the bytes still held over the starting point, as JSON `{ kept, peak }`: by array buffers
 * (SharedArrayBuffers included), or, for a queue, whose growable buffers Node does not count there, by the
 * whole process (resident set).
 */
import { Barrier } from "../../src/threads/barrier.ts";
import { fromHandle, toHandle } from "../../src/threads/handle.ts";
import { Queue } from "../../src/threads/queue.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Collects until array buffers stop shrinking (finalizers and the wake-ups they cause take turns). */
const measured = process.argv[2] === "queue" ? "rss" : "arrayBuffers";

async function settle(): Promise<number> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20; i++) {
    gc!();
    for (let k = 0; k < 5; k++) await turn();
    const now = process.memoryUsage()[measured];
    if (now >= last && i >= 3) return now;
    last = now;
  }
  return last;
}

const scenarios: Record<string, () => Promise<number>> = {
  /** 10,000 Barriers with an action, made and dropped. */
  async barriers() {
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      new Barrier(2, { action: () => {} });
      if (i % 1000 === 999) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    return peak;
  },

  /** One queue that holds 200,000 items of 1 KB at once, drained, and kept. */
  async queue() {
    const q = new Queue<string>();
    const item = "x".repeat(1024);
    for (let i = 0; i < 200_000; i++) q.putNowait(item);
    const peak = process.memoryUsage().rss;
    for (let i = 0; i < 200_000; i++) q.getNowait();
    q.putNowait("after the drain");
    (globalThis as { kept?: unknown }).kept = q; // kept alive: only its storage may shrink
    return peak;
  },
};

if (process.argv[2] === "orphan") {
  // A Barrier whose home object (the one with the action) was dropped: a round cannot run the action, so it
  // breaks instead of waiting for it.
  let ran = 0;
  const barrier = fromHandle(toHandle(new Barrier(2, { action: () => void ran++ })));
  await settle();
  const outcomes = await Promise.allSettled([
    barrier.wait({ timeout: 20_000 }),
    barrier.wait({ timeout: 20_000 }),
  ]);
  console.log(
    JSON.stringify({
      outcomes: outcomes.map((o) => (o.status === "rejected" ? o.reason.name : o.value)),
      ran,
    }),
  );
  process.exit(0);
}

const scenario = scenarios[process.argv[2] ?? ""];
if (scenario === undefined) throw new Error(`unknown scenario ${process.argv[2]}`);
const base = await settle();
const peak = (await scenario()) - base;
const kept = (await settle()) - base;
console.log(JSON.stringify({ kept, peak }));
