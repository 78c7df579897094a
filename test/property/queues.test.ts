/**
 * Queue, LifoQueue and PriorityQueue under random schedules of many tasks: putNowait/getNowait, waiting,
 * timed, abortable and non-blocking put/get, aborts and the passing of time, in any interleaving, including
 * several of them in the same synchronous run.
 *
 * A plain-JS model of a bounded queue with direct hand-off (an item put while getters wait goes to the
 * longest-waiting getter; a freed slot takes the longest-waiting putter's item) says what every call must
 * resolve to. The conservation of items is also checked on its own, without the model.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull } from "../../src/index.ts";
import {
  assertOutcome,
  Call,
  deadlineOf,
  ErrorOf,
  expire,
  MODES,
  type Mode,
  type ModelWaiter,
  type Outcome,
  optionsFor,
  PENDING,
  rejected,
  resolved,
  type Step,
  settle,
  steps,
  triesOnce,
  type VirtualTime,
  withVirtualTime,
} from "./harness.ts";

const AGENTS = 5;
const RUNS = 200;

type Kind = "fifo" | "lifo" | "priority";

/** An item knows who put it; `id`s grow with each put attempt, so one producer's items are in id order. */
interface Item {
  readonly id: number;
  readonly prio: number;
  readonly producer: number;
}

function makeQueue(kind: Kind, maxsize: number): Queue<Item> {
  switch (kind) {
    case "fifo":
      return new Queue<Item>(maxsize);
    case "lifo":
      return new LifoQueue<Item>(maxsize);
    case "priority":
      return new PriorityQueue<Item>(maxsize, { compare: (a, b) => a.prio - b.prio });
  }
}

type Phase = "idle" | "putting" | "getting";

interface Agent {
  phase: Phase;
  call: Call | undefined;
  controller: AbortController | undefined;
  item: Item | undefined;
  expected: Outcome;
}

interface Putter extends ModelWaiter {
  readonly item: Item;
}

/** The queue in plain JS: what the primitive must do. */
class Model {
  /** Items in the store, each with the order it entered (PriorityQueue is stable). */
  readonly store: { item: Item; seq: number }[] = [];
  readonly getters: ModelWaiter[] = [];
  readonly putters: Putter[] = [];
  private seq = 0;

  constructor(
    readonly kind: Kind,
    readonly capacity: number,
    readonly agents: Agent[],
  ) {}

  /** Places `item` if there is room: straight to the longest getter, else into the store. */
  private offer(item: Item): boolean {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.agents[getter.agent]!.expected = resolved(item);
      return true;
    }
    if (this.store.length >= this.capacity) return false;
    this.store.push({ item, seq: this.seq++ });
    return true;
  }

  /** Takes the next item in the queue's order, and gives the freed slot to the longest putter. */
  private take(): Item {
    let at = this.store.length - 1; // lifo
    if (this.kind === "fifo") at = 0;
    if (this.kind === "priority") {
      at = 0;
      for (const [i, e] of this.store.entries()) if (e.item.prio < this.store[at]!.item.prio) at = i;
    }
    const { item } = this.store.splice(at, 1)[0]!;
    const putter = this.putters.shift();
    if (putter !== undefined) {
      this.store.push({ item: putter.item, seq: this.seq++ });
      this.agents[putter.agent]!.expected = resolved(undefined);
    }
    return item;
  }

  put(agent: number, item: Item, mode: Mode, timeout: number, now: number): Outcome {
    if (mode === "preaborted") return rejected(this.agents[agent]!.controller!.signal.reason);
    if (this.offer(item)) return resolved(undefined);
    if (triesOnce(mode)) return rejected(new ErrorOf(QueueFull));
    this.putters.push({ agent, item, deadline: deadlineOf(mode, timeout, now), seq: this.seq++ });
    return PENDING;
  }

  putNowait(item: Item): boolean {
    return this.offer(item);
  }

  get(agent: number, mode: Mode, timeout: number, now: number): Outcome {
    if (mode === "preaborted") return rejected(this.agents[agent]!.controller!.signal.reason);
    if (this.store.length > 0) return resolved(this.take());
    if (triesOnce(mode)) return rejected(new ErrorOf(QueueEmpty));
    this.getters.push({ agent, deadline: deadlineOf(mode, timeout, now), seq: this.seq++ });
    return PENDING;
  }

  getNowait(): Item | undefined {
    return this.store.length > 0 ? this.take() : undefined;
  }

  abort(agent: number, reason: unknown): void {
    for (const waiters of [this.getters, this.putters] as ModelWaiter[][]) {
      const i = waiters.findIndex((w) => w.agent === agent);
      if (i >= 0) {
        waiters.splice(i, 1);
        this.agents[agent]!.expected = rejected(reason);
      }
    }
  }

  timePassed(now: number): void {
    for (const w of expire(this.getters, now))
      this.agents[w.agent]!.expected = rejected(new ErrorOf(QueueEmpty));
    for (const w of expire(this.putters, now))
      this.agents[w.agent]!.expected = rejected(new ErrorOf(QueueFull));
  }
}

async function runSchedule(kind: Kind, maxsize: number, schedule: Step[], time: VirtualTime): Promise<void> {
  const queue = makeQueue(kind, maxsize);
  const capacity = maxsize > 0 ? maxsize : Number.POSITIVE_INFINITY;
  const agents: Agent[] = Array.from({ length: AGENTS }, () => ({
    phase: "idle",
    call: undefined,
    controller: undefined,
    item: undefined,
    expected: PENDING,
  }));
  const model = new Model(kind, capacity, agents);
  let nextId = 0;
  const newItem = (producer: number, variant: number): Item => ({
    id: nextId++,
    prio: variant % 3,
    producer,
  });

  // What the tasks saw, independently of the model.
  const accepted = new Set<number>();
  const refused = new Set<number>();
  /** Every item delivered, in the order the queue gave them out. */
  const delivered: Item[] = [];
  const deliver = (outcome: Outcome): void => {
    if (outcome.state === "resolved") delivered.push(outcome.value as Item);
  };
  /** getNowait delivers synchronously; logging it one microtask later keeps it in order with waiting gets. */
  const deliverNow = (item: Item): void => {
    new Call(Promise.resolve(item), deliver);
  };

  const checkSync = (what: string): void => {
    assert.equal(queue.qsize(), model.store.length, `${what}: qsize`);
  };

  const flush = async (what: string): Promise<void> => {
    await settle();
    for (const [i, agent] of agents.entries()) {
      if (agent.phase === "idle") continue;
      const outcome = agent.call!.outcome;
      assertOutcome(
        outcome,
        agent.expected,
        `${what}: agent ${i}'s ${agent.phase === "putting" ? "put" : "get"}`,
      );
      if (outcome.state === "pending") continue;
      if (agent.phase === "putting") (outcome.state === "resolved" ? accepted : refused).add(agent.item!.id);
      agent.phase = "idle";
      agent.call = undefined;
      agent.controller = undefined;
      agent.item = undefined;
    }
    checkSync(what);
  };

  const abort = (i: number): void => {
    const reason = new Error(`agent ${i} gives up`);
    agents[i]!.controller!.abort(reason);
    model.abort(i, reason);
  };

  /** `putNowait` by agent (or by the test, -1); the model says whether it fits. */
  const putNowait = (producer: number, variant: number, what: string): void => {
    const item = newItem(producer, variant);
    let threw: unknown;
    try {
      queue.putNowait(item);
    } catch (error) {
      threw = error;
    }
    if (model.putNowait(item)) {
      assert.equal(threw, undefined, `${what}: putNowait of a queue with room`);
      accepted.add(item.id);
    } else {
      assert.ok(threw instanceof QueueFull, `${what}: putNowait of a full queue throws QueueFull`);
      refused.add(item.id);
    }
  };

  const getNowait = (what: string): void => {
    let got: Item | undefined;
    let threw: unknown;
    try {
      got = queue.getNowait();
    } catch (error) {
      threw = error;
    }
    const expected = model.getNowait();
    if (expected === undefined) {
      assert.ok(threw instanceof QueueEmpty, `${what}: getNowait of an empty queue throws QueueEmpty`);
    } else {
      assert.equal(got, expected, `${what}: getNowait`);
      deliverNow(got!);
    }
  };

  for (const [n, step] of schedule.entries()) {
    const what = `step ${n} (${JSON.stringify(step)})`;
    if (step.kind === "tick") {
      time.tick(step.ms);
      model.timePassed(time.now);
    } else {
      const agent = agents[step.agent]!;
      if (agent.phase === "idle") {
        const choices = 2 * MODES.length + 2;
        const choice = step.variant % choices;
        if (choice < MODES.length) {
          const mode = MODES[choice]!;
          const { opts, controller } = optionsFor(mode, step.timeout);
          const item = newItem(step.agent, step.variant);
          Object.assign(agent, { phase: "putting", controller, item });
          agent.call = new Call(queue.put(item, opts));
          agent.expected = model.put(step.agent, item, mode, step.timeout, time.now);
        } else if (choice < 2 * MODES.length) {
          const mode = MODES[choice - MODES.length]!;
          const { opts, controller } = optionsFor(mode, step.timeout);
          Object.assign(agent, { phase: "getting", controller });
          agent.call = new Call(queue.get(opts), deliver);
          agent.expected = model.get(step.agent, mode, step.timeout, time.now);
        } else if (choice === 2 * MODES.length) {
          putNowait(step.agent, step.variant, what);
        } else {
          getNowait(what);
        }
      } else if (agent.controller !== undefined && !agent.controller.signal.aborted) {
        abort(step.agent);
      }
    }
    checkSync(what);
    if (step.flush) await flush(what);
  }
  await flush("end of schedule");

  // Everyone leaves: abort what can be aborted and let every timeout pass; then feed the plain getters and
  // drain for the plain putters, until every call has settled.
  for (const [i, agent] of agents.entries()) {
    if (agent.phase !== "idle" && agent.controller !== undefined && !agent.controller.signal.aborted)
      abort(i);
  }
  time.tick(10);
  model.timePassed(time.now);
  await flush("after the last timeouts");
  for (let round = 0; agents.some((a) => a.phase !== "idle"); round++) {
    assert.ok(round <= 2 * AGENTS, "a call is left waiting although the queue could serve it");
    if (agents.some((a) => a.phase === "getting")) putNowait(-1, 0, `cleanup round ${round}`);
    else getNowait(`cleanup round ${round}`);
    await flush(`cleanup round ${round}`);
  }
  while (!queue.empty()) getNowait("draining");
  await settle();
  assert.equal(model.store.length, 0);

  // Every accepted item came out exactly once; no refused item ever came out.
  const ids = delivered.map((item) => item.id);
  assert.equal(new Set(ids).size, ids.length, "no item is delivered twice");
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    [...accepted].sort((a, b) => a - b),
    "every accepted item is delivered",
  );
  for (const id of refused)
    assert.ok(!accepted.has(id) && !ids.includes(id), `refused item ${id} never comes out`);
  assert.equal(accepted.size + refused.size, nextId, "every put settled, one way or the other");

  if (kind === "fifo") {
    for (let producer = -1; producer < AGENTS; producer++) {
      const own = ids.filter((id) => delivered.find((item) => item.id === id)!.producer === producer);
      assert.deepEqual(
        own,
        [...own].sort((a, b) => a - b),
        `producer ${producer}'s items come out in put order`,
      );
    }
  }

  // No waiter is left behind: a fresh getter is served by the next put, a fresh putter by the next get.
  const getter = new Call(queue.get());
  const probe: Item = { id: -1, prio: 0, producer: -1 };
  queue.putNowait(probe);
  await settle();
  assert.deepEqual(getter.outcome, resolved(probe), "a put goes to the fresh getter");
  if (maxsize > 0) {
    for (let i = 0; i < maxsize; i++) queue.putNowait(probe);
    const putter = new Call(queue.put({ id: -2, prio: 0, producer: -1 }));
    await settle();
    assert.deepEqual(putter.outcome, PENDING, "a put waits while the queue is full");
    queue.getNowait();
    await settle();
    assert.deepEqual(putter.outcome, resolved(undefined), "the freed slot goes to the fresh putter");
    assert.equal(queue.qsize(), maxsize);
  }
}

for (const kind of ["fifo", "lifo", "priority"] as const) {
  const name = { fifo: "Queue", lifo: "LifoQueue", priority: "PriorityQueue" }[kind];
  describe(`${name}(maxsize) under random schedules of puts, gets, aborts and timeouts`, () => {
    const order = {
      fifo: "one producer's items come out in the order it put them",
      lifo: "the latest item comes out first",
      priority: "the least item comes out first, equal ones in put order",
    }[kind];
    it(`delivers every accepted item exactly once, never a refused one, and ${order}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 3 }), steps(AGENTS), (maxsize, schedule) =>
          withVirtualTime((time) => runSchedule(kind, maxsize, schedule, time)),
        ),
        { numRuns: RUNS },
      );
    });
  });
}
