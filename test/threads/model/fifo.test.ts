/**
 * The threads core's waiter FIFO, driven across real workers by fast-check schedules and checked against a
 * plain-JS model, step by step (as loom checks tokio's core, with the interleaving made deterministic where
 * it matters instead of enumerated).
 *
 * Agents: the main thread (async calls only) and three workers. A step tells one agent to make one call
 * (blocking or async acquire, with no timeout, a long one, a short one or an abort signal; tryAcquire;
 * release), or aborts an agent's pending call, or terminates a worker (at a quiescent point, or for a Lock
 * also in the middle of an acquire). After each step the driver waits until every agent the model says must
 * answer has answered, and every agent the model says must wait has provably queued (its cell is WAITING or
 * SLEEPING in the primitive's buffer); only then does the next step come. So the model can say exactly who
 * gets what next: grants in FIFO order, a short timeout that leaves nothing behind, an abort that leaves the
 * queue, a death whose holdings go to the next acquirer with OwnerDiedError. At each quiescent point it
 * checks the FIFO itself (who is linked, in which order), the cells' census (none lost), the primitive's
 * STATE, and that permits are conserved (free + held + held by the dead = the initial value).
 *
 * A worker may also `block` with an async acquire queued: its thread stops, so a grant lands on a cell whose
 * waiter never collects it; killed later, it leaves a GRANTED cell with a dead owner, which the core must
 * take back when it runs out of free ones (the dedicated test below kills 70 such waiters, more than the 64
 * cells).
 *
 * `SEED=n` replays a run (fast-check prints the seed and the shrunk schedule of a failure), `RUNS=n` sets
 * the number of schedules per primitive.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { toHandle } from "../../../src/threads/handle.ts";
import { QUEUED, SIZE, STATE, VALUE_MASK } from "../../../src/threads/layout.ts";
import { isDead } from "../../../src/threads/liveness.ts";
import { Lock } from "../../../src/threads/lock.ts";
import { Semaphore } from "../../../src/threads/semaphore.ts";
import { ABORTED, type Call, type Outcome } from "./calls.ts";
import { Agent, cleanUp, type Pending, runParameters, stopAll, until, Words } from "./driver.ts";

after(async () => {
  await stopAll();
  cleanUp();
});

const WORKERS = 3;
const AGENTS = WORKERS + 1; // agent 0 is the main thread
const OWNER_DIED = "ERR_OWNER_DIED";
/** A timeout that never runs out within a run, and one that does before the next step. */
const LONG = 120_000;
const SHORT = 15;

type Step =
  | { kind: "call"; agent: number; variant: number }
  | { kind: "kill"; agent: number; midCall: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("call" as const),
      agent: fc.nat(AGENTS - 1),
      variant: fc.nat(99),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("kill" as const),
      agent: fc.integer({ min: 1, max: WORKERS }),
      midCall: fc.boolean(),
    }),
  },
);

/** What the model knows of an agent. */
interface AgentModel {
  held: number;
  /** Its call that waits in the FIFO, if any. */
  waiting: Pending | undefined;
  /** Its worker is stopped in Atomics.wait (its queued async acquire can be granted, never collected). */
  blocked: boolean;
}

/** A fair counting semaphore with owner-died recovery (a Lock is one permit that only its holder releases). */
class Model {
  free: number;
  /** Waiting agents, FIFO order. */
  readonly queue: number[] = [];
  /** Permits held by dead threads and not yet recovered. */
  deadHeld = 0;
  /** Owner word of the dead Lock holder not yet recovered (0: none). */
  deadOwner = 0;
  /** Free permits whose takers must get OwnerDiedError (Semaphore). */
  notices = 0;
  readonly agents: AgentModel[] = [];

  constructor(
    readonly permits: number,
    readonly isLock: boolean,
  ) {
    this.free = permits;
    for (let a = 0; a < AGENTS; a++) this.agents.push({ held: 0, waiting: undefined, blocked: false });
  }

  heldByLive(): number {
    return this.agents.reduce((n, a) => n + a.held, 0);
  }

  /** Whether a take without queueing succeeds now. */
  canTake(): boolean {
    return this.queue.length === 0 && this.free > 0;
  }

  /** A take without queueing: its outcome. */
  take(a: number): Outcome {
    this.free--;
    this.agents[a]!.held++;
    if (this.notices > 0) {
      this.notices--;
      return { error: OWNER_DIED };
    }
    return { ok: true };
  }

  /**
   * Recovers what the dead hold: to the head waiters first (each gets OwnerDiedError while it holds),
   * then to `claimer` (a newcomer whose take failed), the rest freed (a Semaphore's with notices). Returns
   * the agents granted (with their outcome), the claimer's outcome if it took.
   */
  recover(claimer?: number): { granted: number[]; claimed: boolean } {
    const granted: number[] = [];
    let left = this.isLock ? (this.deadOwner !== 0 ? 1 : 0) : this.deadHeld;
    if (left === 0) return { granted, claimed: false };
    this.deadOwner = 0;
    this.deadHeld = 0;
    while (left > 0 && this.queue.length > 0) {
      const h = this.queue.shift()!;
      this.agents[h]!.held++;
      granted.push(h);
      left--;
    }
    let claimed = false;
    if (left > 0 && claimer !== undefined) {
      this.agents[claimer]!.held++;
      left--;
      claimed = true;
    }
    this.free += left;
    if (!this.isLock) this.notices += left;
    return { granted, claimed };
  }

  /** Gives back `n` permits of agent `a`: to the head waiters first. Returns the agents granted. */
  release(a: number, n: number): number[] {
    this.agents[a]!.held -= n;
    const granted: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = this.queue.shift();
      if (h === undefined) this.free++;
      else {
        this.agents[h]!.held++;
        granted.push(h);
      }
    }
    return granted;
  }

  /** Whether a live waiter can run its slices (and so recover from a death within ~100 ms). */
  watched(): boolean {
    return this.queue.some((a) => !this.agents[a]!.blocked);
  }
}

interface Subject {
  name: string;
  make(): { primitive: Lock | Semaphore; permits: number };
}

const subjects: Subject[] = [
  { name: "Lock", make: () => ({ primitive: new Lock(), permits: 1 }) },
  { name: "Semaphore(2)", make: () => ({ primitive: new Semaphore(2), permits: 2 }) },
];

/** Runs one schedule; throws (an assertion) at the first step where the library and the model disagree. */
async function runSchedule(subject: Subject, schedule: Step[]): Promise<void> {
  const { primitive, permits } = subject.make();
  const isLock = primitive instanceof Lock;
  const handle = toHandle(primitive as Lock);
  const i32 = new Int32Array(handle.buffer);
  const words = new Words(i32);
  const agents: Agent[] = [Agent.main(primitive)];

  const model = new Model(permits, isLock);
  const log: string[] = [];
  const expect = async (a: number, p: Pending, outcome: Outcome, what: string): Promise<void> => {
    const got = await agents[a]!.settled(p, what);
    log.push(`  agent ${a} ${p.call.op} -> ${JSON.stringify(got)}`);
    count(`${what}: ${JSON.stringify(got)}`);
    assert.deepEqual(got, outcome, `${what}: agent ${a}'s ${p.call.op}\n${log.join("\n")}`);
  };
  /** Waits until `a`'s call provably queued (and did not answer). */
  const queued = async (a: number, p: Pending): Promise<void> => {
    await until(
      () => p.outcome !== undefined || words.queued(agents[a]!.owner),
      () => `agent ${a} queues`,
    );
    assert.equal(
      p.outcome,
      undefined,
      `agent ${a}'s ${p.call.op} answered instead of waiting\n${log.join("\n")}`,
    );
    model.agents[a]!.waiting = p;
    model.queue.push(a);
    count(`queued behind ${model.queue.length - 1}`);
  };
  /** The grants the model made: each granted agent's pending call answers (a blocked one cannot). */
  const granted = async (list: number[], outcome: Outcome, what: string): Promise<void> => {
    for (const h of list) {
      const m = model.agents[h]!;
      const p = m.waiting!;
      m.waiting = undefined;
      if (!m.blocked) await expect(h, p, outcome, what);
    }
  };
  try {
    for (let w = 1; w <= WORKERS; w++) agents.push(await Agent.worker(primitive, handle));
    for (const [index, step] of schedule.entries()) {
      log.push(`step ${index}: ${JSON.stringify(step)}`);
      if (step.kind === "kill") await killStep(step.agent, step.midCall);
      else await callStep(step.agent, step.variant);
      await check(index);
    }
  } finally {
    await Promise.all(agents.map((a) => a.done()));
  }

  async function callStep(a: number, v: number): Promise<void> {
    const agent = agents[a]!;
    const m = model.agents[a]!;
    if (m.blocked) return;
    if (m.waiting !== undefined) {
      // Waiting: abort it if it can be aborted; it leaves the FIFO, nothing taken.
      const p = m.waiting;
      if (!p.call.abortable || v >= 50) return;
      agent.send({ op: "abort", target: p.call.id });
      model.queue.splice(model.queue.indexOf(a), 1);
      m.waiting = undefined;
      await expect(a, p, { error: ABORTED }, "an aborted wait rejects");
      return;
    }
    if (m.held > 0 && (isLock || v < 40)) {
      if (isLock && v >= 60) {
        // The holder tries again: a Lock is not reentrant.
        await expect(a, agent.send({ op: "tryAcquire" }), { ok: false }, "tryAcquire of a held Lock");
        return;
      }
      const n = isLock ? 1 : Math.min(m.held, 1 + (v % 2));
      const p = agent.send({ op: "release", n });
      const list = model.release(a, n);
      await expect(a, p, { ok: undefined }, "release");
      await granted(list, { ok: true }, "a release grants the head waiter");
      return;
    }
    // Idle: an acquire of some kind.
    const worker = a > 0;
    const kinds = worker
      ? (["sync", "syncLong", "syncShort", "async", "try", "zero", "block"] as const)
      : (["async", "asyncLong", "asyncShort", "try", "zero"] as const);
    const kind = kinds[v % kinds.length]!;
    let call: Omit<Call, "id">;
    switch (kind) {
      case "sync":
        call = { op: "acquireSync" };
        break;
      case "syncLong":
        call = { op: "acquireSync", timeout: LONG };
        break;
      case "syncShort":
        call = { op: "acquireSync", timeout: SHORT };
        break;
      case "async":
      case "block":
        call = { op: "acquire", abortable: true };
        break;
      case "asyncLong":
        call = { op: "acquire", timeout: LONG, abortable: true };
        break;
      case "asyncShort":
        call = { op: "acquire", timeout: SHORT };
        break;
      case "try":
        call = { op: "tryAcquire" };
        break;
      case "zero":
        call = { op: "acquire", timeout: 0 };
        break;
    }
    if (model.canTake()) {
      const outcome = model.take(a);
      await expect(a, agent.send(call), outcome, "a free permit is taken at once");
      return;
    }
    // No permit free (or someone waits): the dead's holdings are recovered by this failed take.
    if (model.deadHeld > 0 || model.deadOwner !== 0) {
      const p = agent.send(call);
      const { granted: list, claimed } = model.recover(a);
      await granted(list, { error: OWNER_DIED }, "a recovered permit goes to the head waiter");
      if (claimed) {
        await expect(a, p, { error: OWNER_DIED }, "a newcomer inherits from the dead");
        return;
      }
      await waitOrFail(a, kind, p);
      return;
    }
    await waitOrFail(a, kind, agent.send(call));
  }

  /** A call that found nothing to take: it fails at once, queues, or queues and times out. */
  async function waitOrFail(a: number, kind: string, p: Pending): Promise<void> {
    if (kind === "try" || kind === "zero") {
      await expect(a, p, { ok: false }, "a try with nothing free fails");
      return;
    }
    if (kind === "syncShort" || kind === "asyncShort") {
      // Nobody releases while it waits: it queues, times out (maybe before the driver sees it queued), and
      // leaves the FIFO: the check after this step finds nothing of it.
      await expect(a, p, { ok: false }, "a short timeout runs out");
      return;
    }
    await queued(a, p);
    if (kind === "block") {
      await agents[a]!.settled(agents[a]!.send({ op: "block" }), "block");
      model.agents[a]!.blocked = true;
    }
  }

  async function killStep(a: number, midCall: boolean): Promise<void> {
    const m = model.agents[a]!;
    const agent = agents[a]!;
    const owner = agent.owner;
    let tookIt = false;
    if (midCall && isLock && m.waiting === undefined && m.held === 0 && !m.blocked) {
      const blockedAny = model.agents.some((x) => x.blocked);
      if (!blockedAny && model.deadOwner === 0) {
        // Killed somewhere inside an acquire: before it, holding GUARD, queued, or holding the lock.
        const free = model.canTake();
        agent.send({ op: "acquireSync" });
        await agent.kill();
        const state = Atomics.load(i32, STATE) & VALUE_MASK;
        tookIt = state === owner;
        log.push(`  killed mid-call: ${tookIt ? "it held the lock" : "it did not hold the lock"}`);
        count(`killed mid-call, ${tookIt ? "holding" : "not holding"}`);
        assert.ok(free || !tookIt, "a worker killed mid-acquire took a lock that was held");
        if (tookIt) {
          model.free--;
          model.deadOwner = owner;
        }
      }
    }
    if (!tookIt && agent.worker !== undefined && !isDead(owner)) {
      await agent.kill();
      count(`killed ${m.blocked ? "blocked" : m.waiting ? "waiting" : "idle"}, holding ${m.held}`);
      if (m.waiting !== undefined) model.queue.splice(model.queue.indexOf(a), 1);
      if (m.held > 0) {
        if (isLock) model.deadOwner = owner;
        else model.deadHeld += m.held;
      }
    }
    m.held = 0;
    m.waiting = undefined;
    m.blocked = false;
    agents[a] = await Agent.worker(primitive, handle);
    // A live waiter that runs its slices recovers what the dead held, for the head waiters.
    if (model.watched()) {
      const { granted: list } = model.recover();
      await granted(list, { error: OWNER_DIED }, "a waiter inherits from the dead");
    }
  }

  async function check(index: number): Promise<void> {
    const where = `after step ${index}\n${log.join("\n")}`;
    // Nobody the model says waits answered.
    for (let a = 0; a < AGENTS; a++) {
      const w = model.agents[a]!.waiting;
      assert.equal(w?.outcome, undefined, `agent ${a}'s waiting call answered ${where}`);
    }
    // Permits conserved, in the model, and the model's free permits are the primitive's.
    const dead = isLock ? (model.deadOwner !== 0 ? 1 : 0) : model.deadHeld;
    assert.equal(model.free + model.heldByLive() + dead, permits, `permits conserved ${where}`);
    const state = Atomics.load(i32, STATE);
    if (isLock) {
      const holder = model.agents.findIndex((x) => x.held > 0);
      const expected = holder >= 0 ? agents[holder]!.owner : model.deadOwner;
      assert.equal(state & VALUE_MASK, expected, `the Lock's holder ${where}`);
    } else {
      assert.equal(state & VALUE_MASK, model.free, `free permits ${where}`);
    }
    // The FIFO: the live waiters in the model's order; dead ones may still be linked (freed at a shift).
    // A waiter is seen queued just before it lets GUARD go; a thread killed inside GUARD leaves it held
    // (the next taker repairs what it left half done).
    await until(
      () => words.guard() === 0 || isDead(words.guard()),
      () => `GUARD let go by its live holder ${where}`,
    );
    if (words.guard() !== 0) return;
    const linked = words.fifo();
    const live = linked.filter((o) => !isDead(o));
    assert.deepEqual(
      live,
      model.queue.map((a) => agents[a]!.owner),
      `the FIFO's live waiters ${where}`,
    );
    assert.equal(Atomics.load(i32, SIZE), linked.length, `SIZE ${where}`);
    assert.equal((state & QUEUED) !== 0, linked.length > 0, `QUEUED ${where}`);
    const blockedOwners = new Set(agents.filter((_, a) => model.agents[a]!.blocked).map((x) => x.owner));
    const waiting = words.census((o) => isDead(o) || blockedOwners.has(o));
    assert.equal(waiting, linked.length, `every waiting cell is linked ${where}`);
  }
}

/** What the schedules of a file did, in all (printed: a model test whose steps never wait proves little). */
const seen = new Map<string, number>();
const count = (what: string): void => {
  seen.set(what, (seen.get(what) ?? 0) + 1);
};

const { seed, numRuns } = runParameters(5);

describe(`threads core: the waiter FIFO against a model, across workers (SEED=${seed}, RUNS=${numRuns})`, () => {
  for (const subject of subjects) {
    it(`${subject.name}: grants in FIFO order, timeouts and aborts leave nothing, deaths lose nothing`, async (t) => {
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
