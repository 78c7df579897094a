/**
 * The threads tier's queue storage, driven across real workers by fast-check schedules and checked against a
 * plain-JS model of Python 3.13's queue module, step by step (see ./fifo.test.ts for the driver's way).
 *
 * Agents: the main thread (async calls only) and three workers (blocking and async calls). Steps: put, get
 * (no timeout, a long one, a short one, an abort signal, nowait), taskDone, join, shutdown (plain or
 * immediate), of items of mixed kinds and sizes: numbers, strings, objects, and 400 KB buffers that make the
 * arena grow past 1 MiB and compact. Each item is `[priority, id, payload]`, so a PriorityQueue orders by the
 * small priority (ties: put order) and every item can be told apart. Checked at each quiescent point: every
 * outcome (Python's order, no item lost or got twice, QueueFull / QueueEmpty / QueueShutDown when Python
 * raises them), qsize, empty and full, the waiting getters, putters and joiners in FIFO order, and that the
 * arena shrank back after a drain by gets.
 *
 * `SEED=n` replays a run (fast-check prints the seed and the shrunk schedule of a failure), `RUNS=n` sets
 * the number of schedules per queue.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { toHandle } from "../../../src/threads/handle.ts";
import { Q_ARENA_CAP } from "../../../src/threads/layout.ts";
import { isDead } from "../../../src/threads/liveness.ts";
import { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "../../../src/threads/queue.ts";
import { ABORTED, type Call, type Outcome } from "./calls.ts";
import { Agent, cleanUp, type Pending, runParameters, stopAll, until, Words } from "./driver.ts";

after(async () => {
  await stopAll();
  cleanUp();
});

const WORKERS = 3;
const AGENTS = WORKERS + 1;
const LONG = 120_000;
const SHORT = 15;
const BIG = 400_000;
/** Above this an ARENA drained by gets is replaced by a small one (./store.ts SHRINK_ABOVE). */
const SHRINK_ABOVE = 1 << 20;
const FULL = "ERR_QUEUE_FULL";
const EMPTY = "ERR_QUEUE_EMPTY";
const SHUT = "ERR_QUEUE_SHUT_DOWN";
const VALUE_ERROR = "ERR_VALUE";

type Item = [number, number, unknown];

/** What the schedules did, in all (printed: a model test whose calls never wait proves little). */
const seen = new Map<string, number>();

interface Step {
  agent: number;
  /** What an idle agent calls (put, get, taskDone, join, shutdown), or whether a waiting one aborts. */
  variant: number;
  /** How: no timeout, a long one, a short one, nowait, timeout 0; blocking or async (a worker). */
  mode: number;
  sync: boolean;
  /** The payload's kind and the priority, for a put. */
  payload: number;
  priority: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  agent: fc.nat(AGENTS - 1),
  variant: fc.nat(99),
  mode: fc.nat(4),
  sync: fc.boolean(),
  payload: fc.nat(9),
  priority: fc.nat(2),
});

function payloadOf(kind: number, id: number): unknown {
  if (kind <= 2) return id * 1.5;
  if (kind <= 4) return `item ${id} ${"x".repeat(kind * 7)}`;
  if (kind <= 6) return { id, tags: ["a", "b"], nested: { n: kind } };
  if (kind === 7) return new Uint8Array(200).fill(id & 255);
  return new Uint8Array(BIG).fill(id & 255);
}

interface QueueSubject {
  name: string;
  order: "fifo" | "lifo" | "priority";
  maxsize: number;
  simple: boolean;
  make(): Queue<unknown> | SimpleQueue<unknown>;
}

const subjects: QueueSubject[] = [
  { name: "Queue(3)", order: "fifo", maxsize: 3, simple: false, make: () => new Queue(3) },
  { name: "LifoQueue(3)", order: "lifo", maxsize: 3, simple: false, make: () => new LifoQueue(3) },
  {
    name: "PriorityQueue(3)",
    order: "priority",
    maxsize: 3,
    simple: false,
    make: () => new PriorityQueue(3),
  },
  { name: "SimpleQueue", order: "fifo", maxsize: 0, simple: true, make: () => new SimpleQueue() },
];

type Role = "getter" | "putter" | "joiner";

interface Waiter {
  agent: number;
  pending: Pending;
  role: Role;
  item?: Item;
}

/** Python 3.13's Queue, LifoQueue, PriorityQueue (stable) or SimpleQueue, with waiters in FIFO order. */
class Model {
  items: { item: Item; seq: number }[] = [];
  getters: Waiter[] = [];
  putters: Waiter[] = [];
  joiners: Waiter[] = [];
  unfinished = 0;
  shut = false;
  private seq = 0;

  constructor(readonly subject: QueueSubject) {}

  full(): boolean {
    return this.subject.maxsize > 0 && this.items.length >= this.subject.maxsize;
  }

  insert(item: Item): void {
    this.items.push({ item, seq: this.seq++ });
    this.unfinished++;
  }

  /** The next item in the queue's order, removed. */
  remove(): Item {
    let k = 0;
    if (this.subject.order === "lifo") k = this.items.length - 1;
    else if (this.subject.order === "priority") {
      for (let i = 1; i < this.items.length; i++) {
        const a = this.items[i]!;
        const b = this.items[k]!;
        if (a.item[0] < b.item[0] || (a.item[0] === b.item[0] && a.seq < b.seq)) k = i;
      }
    }
    return this.items.splice(k, 1)[0]!.item;
  }
}

/** Outcomes compared as values: a buffer as its length and first byte. */
function plain(o: Outcome | undefined): unknown {
  if (o === undefined || !("ok" in o)) return o;
  const v = o.ok;
  if (Array.isArray(v) && v[2] instanceof Uint8Array) {
    const b = v[2];
    return { ok: [v[0], v[1], `bytes ${b.length} of ${b[0]}`, b.every((x) => x === b[0])] };
  }
  return o;
}

async function runSchedule(subject: QueueSubject, schedule: Step[]): Promise<void> {
  const q = subject.make();
  const handle = toHandle(q as Queue<unknown>);
  const { buffer, queue: buffers } = handle as unknown as {
    buffer: SharedArrayBuffer;
    queue: { meta: SharedArrayBuffer; puts: SharedArrayBuffer; joins: SharedArrayBuffer };
  };
  const meta = new Int32Array(buffers.meta);
  const fifos: Record<Role, Words> = {
    getter: new Words(new Int32Array(buffer)),
    putter: new Words(new Int32Array(buffers.puts)),
    joiner: new Words(new Int32Array(buffers.joins)),
  };
  const agents: Agent[] = [Agent.main(q)];

  const model = new Model(subject);
  const waiting: (Waiter | undefined)[] = new Array(AGENTS).fill(undefined);
  const log: string[] = [];
  let ids = 0;
  let drained = false;
  let grew = false;

  const expect = async (a: number, p: Pending, outcome: Outcome, what: string): Promise<void> => {
    const got = await agents[a]!.settled(p, what);
    log.push(`  agent ${a} ${p.call.op} -> ${JSON.stringify(plain(got))}`);
    const kind = "ok" in outcome ? "ok" : outcome.error;
    seen.set(`${what}: ${kind}`, (seen.get(`${what}: ${kind}`) ?? 0) + 1);
    assert.deepEqual(plain(got), plain(outcome), `${what}: agent ${a}'s ${p.call.op}\n${log.join("\n")}`);
  };
  const queued = async (w: Waiter): Promise<void> => {
    const owner = agents[w.agent]!.owner;
    await until(
      () => w.pending.outcome !== undefined || fifos[w.role].queued(owner),
      () => `agent ${w.agent} queues as a ${w.role}`,
    );
    assert.equal(
      w.pending.outcome,
      undefined,
      `agent ${w.agent}'s ${w.pending.call.op} answered\n${log.join("\n")}`,
    );
    waiting[w.agent] = w;
    (w.role === "getter" ? model.getters : w.role === "putter" ? model.putters : model.joiners).push(w);
  };
  const finish = async (w: Waiter, outcome: Outcome, what: string): Promise<void> => {
    waiting[w.agent] = undefined;
    await expect(w.agent, w.pending, outcome, what);
  };
  /** After an item left the queue: the head putter's item takes its slot. */
  const refill = async (): Promise<void> => {
    if (model.putters.length > 0 && !model.full()) {
      const w = model.putters.shift()!;
      model.insert(w.item!);
      drained = false;
      await finish(w, { ok: undefined }, "a freed slot takes the head putter's item");
    }
  };
  const allDone = async (): Promise<void> => {
    if (model.unfinished !== 0) return;
    for (const w of model.joiners.splice(0)) await finish(w, { ok: true }, "join resolves once all are done");
  };

  try {
    for (let w = 1; w <= WORKERS; w++) agents.push(await Agent.worker(q, handle));
    for (const [index, step] of schedule.entries()) {
      log.push(`step ${index}: ${JSON.stringify(step)}`);
      await callStep(step);
      await check(index);
    }
    // The end: gets drain what is left (a waiting putter's item too); the arena then shrinks back.
    for (let i = 0; model.items.length > 0; i++) {
      log.push(`drain ${i}`);
      await getNow(0);
      await check(schedule.length + i);
    }
  } finally {
    await Promise.all(agents.map((a) => a.done()));
  }

  async function getNow(a: number): Promise<void> {
    const item = model.remove();
    await expect(a, agents[a]!.send({ op: "getNowait" }), { ok: item }, "getNowait");
    await refill();
    if (model.items.length === 0 && model.putters.length === 0) drained = true;
  }

  async function callStep(step: Step): Promise<void> {
    const { agent: a, variant: v } = step;
    const agent = agents[a]!;
    const w = waiting[a];
    if (w !== undefined) {
      if (!w.pending.call.abortable || v >= 50) return;
      agent.send({ op: "abort", target: w.pending.call.id });
      const list = w.role === "getter" ? model.getters : w.role === "putter" ? model.putters : model.joiners;
      list.splice(list.indexOf(w), 1);
      await finish(w, { error: ABORTED }, "an aborted wait rejects, nothing taken");
      return;
    }
    const worker = a > 0;
    const r = v % 20;
    // How a waiting call is made: async (abortable) or blocking, no timeout, long, short, nowait.
    const mode = ["plain", "long", "short", "now", "zero"][step.mode]!;
    const sync = worker && step.sync && mode !== "now";
    const opts: Partial<Call> =
      mode === "long"
        ? { timeout: LONG }
        : mode === "short"
          ? { timeout: SHORT }
          : mode === "zero"
            ? { timeout: 0 }
            : {};
    if (!sync && mode !== "now" && mode !== "short" && mode !== "zero") opts.abortable = true;
    if (r < 8) {
      // put
      const id = ++ids;
      const item: Item = [step.priority, id, payloadOf(step.payload, id)];
      if (step.payload >= 8) grew = true;
      const op = mode === "now" ? "putNowait" : sync ? "putSync" : "put";
      const p = agent.send({ op, item, ...opts });
      if (model.shut) return expect(a, p, { error: SHUT }, "put after shutdown");
      if (model.getters.length > 0) {
        const g = model.getters.shift()!;
        model.unfinished++;
        await finish(g, { ok: item }, "a put hands its item to the head getter");
        return expect(a, p, { ok: undefined }, "put");
      }
      if (!model.full()) {
        model.insert(item);
        drained = false;
        return expect(a, p, { ok: undefined }, "put");
      }
      if (mode === "now" || mode === "zero" || subject.simple)
        return expect(a, p, { error: FULL }, "put on a full queue");
      if (mode === "short") return expect(a, p, { error: FULL }, "a put's short timeout runs out");
      await queued({ agent: a, pending: p, role: "putter", item });
      seen.set("putters waiting", (seen.get("putters waiting") ?? 0) + 1);
      return;
    }
    if (r < 16) {
      // get
      const op = mode === "now" ? "getNowait" : sync ? "getSync" : "get";
      const p = agent.send({ op, ...opts });
      if (model.items.length > 0) {
        const item = model.remove();
        await expect(a, p, { ok: item }, "get");
        await refill();
        if (model.items.length === 0 && model.putters.length === 0) drained = true;
        return;
      }
      if (model.shut) return expect(a, p, { error: SHUT }, "get on a shut down, empty queue");
      if (mode === "now" || mode === "zero") return expect(a, p, { error: EMPTY }, "get on an empty queue");
      if (mode === "short") return expect(a, p, { error: EMPTY }, "a get's short timeout runs out");
      await queued({ agent: a, pending: p, role: "getter" });
      seen.set("getters waiting", (seen.get("getters waiting") ?? 0) + 1);
      return;
    }
    if (subject.simple) return; // no taskDone, join or shutdown
    if (r < 18) {
      const p = agent.send({ op: "taskDone" });
      if (model.unfinished === 0) return expect(a, p, { error: VALUE_ERROR }, "taskDone too many times");
      model.unfinished--;
      await expect(a, p, { ok: undefined }, "taskDone");
      return allDone();
    }
    if (r === 18) {
      const op = sync ? "joinSync" : "join";
      const p = agent.send({ op, ...(mode === "now" ? { timeout: 0 } : opts) });
      if (model.unfinished === 0) return expect(a, p, { ok: true }, "join with nothing unfinished");
      if (mode === "now" || mode === "zero" || mode === "short")
        return expect(a, p, { ok: false }, "join times out");
      return queued({ agent: a, pending: p, role: "joiner" });
    }
    // shutdown, rarely (plain or immediate)
    if (v < 79) return;
    const immediate = v === 99;
    const p = agent.send({ op: "shutdown", immediate });
    model.shut = true;
    if (immediate) {
      // Python 3.13: each dropped item counts as done, never below 0 (taskDone may have run ahead of gets).
      model.unfinished = Math.max(0, model.unfinished - model.items.length);
      model.items = [];
    }
    await expect(a, p, { ok: undefined }, "shutdown");
    for (const w of model.putters.splice(0)) await finish(w, { error: SHUT }, "shutdown wakes the putters");
    for (const w of model.getters.splice(0)) await finish(w, { error: SHUT }, "shutdown wakes the getters");
    await allDone();
  }

  async function check(index: number): Promise<void> {
    const where = `after step ${index}\n${log.join("\n")}`;
    for (let a = 0; a < AGENTS; a++)
      assert.equal(waiting[a]?.pending.outcome, undefined, `agent ${a}'s waiting call answered ${where}`);
    const sized = q as { qsize(): number; empty(): boolean; full?(): boolean };
    assert.equal(sized.qsize(), model.items.length, `qsize ${where}`);
    assert.equal(sized.empty(), model.items.length === 0, `empty ${where}`);
    if (sized.full !== undefined) assert.equal(sized.full(), model.full(), `full ${where}`);
    for (const role of ["getter", "putter", "joiner"] as const) {
      const words = fifos[role];
      await until(
        () => words.guard() === 0 || isDead(words.guard()),
        () => `the ${role}s' GUARD let go ${where}`,
      );
      const list = role === "getter" ? model.getters : role === "putter" ? model.putters : model.joiners;
      assert.deepEqual(
        words.fifo(),
        list.map((w) => agents[w.agent]!.owner),
        `the waiting ${role}s ${where}`,
      );
    }
    const cap = Atomics.load(meta, Q_ARENA_CAP);
    if (cap > SHRINK_ABOVE) grew = true;
    if (drained && grew) seen.set("arena shrank back", (seen.get("arena shrank back") ?? 0) + 1);
    if (drained && grew) assert.ok(cap <= SHRINK_ABOVE, `a drained arena of ${cap} B shrinks back ${where}`);
  }
}

const { seed, numRuns } = runParameters(4);

describe(`threads queues: storage against a model of Python 3.13, across workers (SEED=${seed}, RUNS=${numRuns})`, () => {
  for (const subject of subjects) {
    it(`${subject.name}: Python's order, nothing lost or duplicated, waiters served in turn, shutdown`, async (t) => {
      t.diagnostic(`seed ${seed}`);
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40, size: "max" }), (schedule) =>
          runSchedule(subject, schedule),
        ),
        { seed, numRuns },
      );
      for (const [what, n] of [...seen].sort()) t.diagnostic(`${n} x ${what}`);
      seen.clear();
    });
  }
});
