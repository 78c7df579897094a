/**
 * Lock, Semaphore and BoundedSemaphore under random schedules of many tasks: plain, timed, abortable and
 * non-blocking acquires, tryAcquire, releases (one or many permits at once), aborts and the passing of
 * time, in any interleaving, including several of them in the same synchronous run.
 *
 * A plain-JS model of a fair counting semaphore (a Lock is one with a single permit and no batch release)
 * says what every call must resolve to; each schedule is checked against it step by step, and against the
 * invariants themselves, stated without the model.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BoundedSemaphore, Lock, Semaphore, ValueError } from "../../src/index.ts";
import {
  assertOutcome,
  Call,
  deadlineOf,
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

const AGENTS = 6;
const RUNS = 300;

interface Permits {
  acquire(opts?: { timeout?: number; signal?: AbortSignal; blocking?: boolean }): Promise<boolean>;
  tryAcquire(): boolean;
}

/** How the test talks to the primitive under test. */
interface Subject {
  readonly primitive: Permits;
  readonly permits: number;
  /** Gives back `n` permits in one call (a Lock only ever gives back one). */
  release(n: number): void;
  /** Permits free now, read synchronously from the primitive. */
  free(): number;
  /** Whether `release(n)` may give back several permits at once. */
  readonly batch: boolean;
  /** Whether giving back more than was taken must fail with ValueError and change nothing. */
  readonly bounded: boolean;
}

function lockSubject(): Subject {
  const lock = new Lock();
  return {
    primitive: lock,
    permits: 1,
    release: () => lock.release(),
    free: () => (lock.locked() ? 0 : 1),
    batch: false,
    bounded: false,
  };
}

function semaphoreSubject(k: number, bounded: boolean): Subject {
  const sem = bounded ? new BoundedSemaphore(k) : new Semaphore(k);
  return {
    primitive: sem,
    permits: k,
    release: (n) => sem.release(n),
    free: () => sem.value,
    batch: true,
    bounded,
  };
}

type Phase = "idle" | "waiting" | "holding";

interface Agent {
  phase: Phase;
  call: Call | undefined;
  controller: AbortController | undefined;
  /** What the model says the current call resolves to. */
  expected: Outcome;
}

/** A fair counting semaphore in plain JS: what the primitive must do. */
class Model {
  free: number;
  readonly queue: ModelWaiter[] = [];
  /** Agents granted a permit, whether or not they have run since. */
  readonly holders = new Set<number>();
  private seq = 0;

  constructor(
    permits: number,
    readonly agents: Agent[],
  ) {
    this.free = permits;
  }

  acquire(agent: number, mode: Mode, timeout: number, now: number): Outcome {
    if (mode === "preaborted") return rejected(this.agents[agent]!.controller!.signal.reason);
    if (this.free > 0) {
      this.free--;
      this.holders.add(agent);
      return resolved(true);
    }
    if (triesOnce(mode)) return resolved(false);
    this.queue.push({ agent, deadline: deadlineOf(mode, timeout, now), seq: this.seq++ });
    return PENDING;
  }

  tryAcquire(agent: number): boolean {
    if (this.free === 0) return false;
    this.free--;
    this.holders.add(agent);
    return true;
  }

  /** `from` give back one permit each; each goes straight to the longest waiter, if any. */
  release(from: number[]): void {
    for (const agent of from) this.holders.delete(agent);
    for (let n = from.length; n > 0; n--) {
      const head = this.queue.shift();
      if (head === undefined) {
        this.free += n;
        return;
      }
      this.holders.add(head.agent);
      this.agents[head.agent]!.expected = resolved(true);
    }
  }

  abort(agent: number, reason: unknown): void {
    const i = this.queue.findIndex((w) => w.agent === agent);
    if (i < 0) return; // granted or gone already: an abort afterwards changes nothing
    this.queue.splice(i, 1);
    this.agents[agent]!.expected = rejected(reason);
  }

  timePassed(now: number): void {
    for (const w of expire(this.queue, now)) this.agents[w.agent]!.expected = resolved(false);
  }
}

/** Runs one schedule against a fresh primitive; throws (an assertion) on the first divergence. */
async function runSchedule(subject: Subject, schedule: Step[], time: VirtualTime): Promise<void> {
  const k = subject.permits;
  const agents: Agent[] = Array.from({ length: AGENTS }, () => ({
    phase: "idle",
    call: undefined,
    controller: undefined,
    expected: PENDING,
  }));
  const model = new Model(k, agents);
  // Tickets of the waiting acquires, in call order, and the tickets of those granted, in grant order.
  let nextTicket = 0;
  const grants: number[] = [];
  let observedHoldersMax = 0;

  const checkSync = (what: string): void => {
    assert.equal(subject.free(), model.free, `${what}: free permits`);
  };

  /** Lets the woken tasks run, then compares each task's view with the model. */
  const flush = async (what: string): Promise<void> => {
    await settle();
    for (const [i, agent] of agents.entries()) {
      if (agent.phase !== "waiting") continue;
      assertOutcome(agent.call!.outcome, agent.expected, `${what}: agent ${i}'s acquire`);
      const outcome = agent.call!.outcome;
      if (outcome.state === "pending") continue;
      agent.phase = outcome.state === "resolved" && outcome.value === true ? "holding" : "idle";
      agent.call = undefined;
      agent.controller = undefined;
    }
    const holding = agents.filter((a) => a.phase === "holding").length;
    observedHoldersMax = Math.max(observedHoldersMax, holding);
    assert.ok(holding <= k, `${what}: ${holding} holders of ${k} permit(s)`);
    assert.equal(holding, model.holders.size, `${what}: every grant has reached its task`);
    assert.equal(holding + subject.free(), k, `${what}: a permit was lost or created`);
    checkSync(what);
  };

  const abort = (i: number): void => {
    const agent = agents[i]!;
    const reason = new Error(`agent ${i} gives up`);
    agent.controller!.abort(reason);
    model.abort(i, reason);
  };

  const releaseBy = (ids: number[]): void => {
    subject.release(ids.length);
    model.release(ids);
    for (const id of ids) agents[id]!.phase = "idle";
  };

  for (const [n, step] of schedule.entries()) {
    const what = `step ${n} (${JSON.stringify(step)})`;
    if (step.kind === "tick") {
      time.tick(step.ms);
      model.timePassed(time.now);
    } else {
      const agent = agents[step.agent]!;
      if (agent.phase === "idle") {
        const choice = step.variant % (MODES.length + 2);
        if (choice < MODES.length) {
          const mode = MODES[choice]!;
          const { opts, controller } = optionsFor(mode, step.timeout);
          agent.controller = controller;
          agent.phase = "waiting";
          const ticket = triesOnce(mode) || mode === "preaborted" ? -1 : nextTicket++;
          agent.call = new Call(subject.primitive.acquire(opts), (outcome) => {
            if (ticket >= 0 && outcome.state === "resolved" && outcome.value === true) grants.push(ticket);
          });
          agent.expected = model.acquire(step.agent, mode, step.timeout, time.now);
        } else if (choice === MODES.length) {
          const took = subject.primitive.tryAcquire();
          assert.equal(took, model.tryAcquire(step.agent), `${what}: tryAcquire`);
          if (took) agent.phase = "holding";
        } else if (subject.bounded) {
          // Someone gives back more permits than are out: ValueError, and nothing changes.
          const n = model.holders.size + 1;
          assert.throws(() => subject.release(n), ValueError, `${what}: over-release`);
        }
      } else if (agent.phase === "waiting") {
        if (agent.controller !== undefined && !agent.controller.signal.aborted) abort(step.agent);
      } else {
        const holding = agents.flatMap((a, i) => (a.phase === "holding" ? [i] : []));
        releaseBy(subject.batch && step.variant % 3 === 0 ? holding : [step.agent]);
      }
    }
    checkSync(what);
    if (step.flush) await flush(what);
  }
  await flush("end of schedule");

  // Everyone leaves: abort what can be aborted, let every timeout pass, and let each holder release in turn
  // (plain waiters are granted as permits come back).
  for (const [i, agent] of agents.entries()) {
    if (agent.phase === "waiting" && agent.controller !== undefined && !agent.controller.signal.aborted)
      abort(i);
  }
  time.tick(10);
  model.timePassed(time.now);
  await flush("after the last timeouts");
  for (let round = 0; agents.some((a) => a.phase !== "idle"); round++) {
    const holder = agents.findIndex((a) => a.phase === "holding");
    assert.ok(round <= AGENTS && holder >= 0, "a waiter is left behind although every holder released");
    releaseBy([holder]);
    await flush(`cleanup round ${round}`);
  }

  // Nothing lost, nothing created, nobody left behind.
  assert.equal(subject.free(), k, "every permit is back");
  assert.deepEqual(
    grants,
    [...grants].sort((a, b) => a - b),
    "waiters that did not leave were granted in the order they came",
  );
  for (let i = 0; i < k; i++)
    assert.ok(subject.primitive.tryAcquire(), "a fresh tryAcquire succeeds at once");
  assert.equal(subject.primitive.tryAcquire(), false, "no permit beyond the initial ones");
  const late = new Call(subject.primitive.acquire());
  await settle();
  assert.deepEqual(late.outcome, PENDING, "a fresh acquire waits while all permits are out");
  subject.release(1); // a ghost waiter left in the queue would take this permit
  await settle();
  assert.deepEqual(late.outcome, resolved(true), "the release goes to the fresh waiter");
  subject.release(k);
  assert.equal(subject.free(), k);
  assert.ok(observedHoldersMax <= k);
}

describe("Lock under random schedules of acquire, tryAcquire, release, abort and timeouts", () => {
  it("never has two holders, never loses the lock, grants in FIFO order and leaves no waiter behind", async () => {
    await fc.assert(
      fc.asyncProperty(steps(AGENTS), (schedule) =>
        withVirtualTime((time) => runSchedule(lockSubject(), schedule, time)),
      ),
      { numRuns: RUNS },
    );
  });
});

describe("Semaphore(k) under random schedules", () => {
  it("never has more than k holders, loses or creates no permit, and aborted or timed-out waiters take nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), steps(AGENTS), (k, schedule) =>
        withVirtualTime((time) => runSchedule(semaphoreSubject(k, false), schedule, time)),
      ),
      { numRuns: RUNS },
    );
  });
});

describe("BoundedSemaphore(k) under random schedules", () => {
  it("behaves as Semaphore(k), and an over-release fails with ValueError and changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), steps(AGENTS), (k, schedule) =>
        withVirtualTime((time) => runSchedule(semaphoreSubject(k, true), schedule, time)),
      ),
      { numRuns: RUNS },
    );
  });
});
