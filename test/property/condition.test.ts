/**
 * Condition (over a Lock) under random schedules of many tasks: tasks take the lock, wait (plainly, with a
 * timeout, with a signal that is aborted at a random step, or without blocking), notify(n), notifyAll and
 * release, while time passes; several of these can happen in the same synchronous run, which is how a
 * timeout or an abort "at the same moment" as a notify is modelled.
 *
 * A plain-JS model says what every call must resolve to: a waiter takes its ticket before it lets go of
 * the lock, notify(n) wakes the min(n, waiting) longest waiters, and a woken waiter (notified, timed out or
 * aborted) queues for the lock again, in the order it was woken, and settles once it holds it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Condition, Lock } from "../../src/index.ts";
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

const AGENTS = 5;
const JANITOR = AGENTS; // an extra task, used only to wake the sleepers at the end
const RUNS = 300;

type Phase = "idle" | "acquiring" | "holding" | "waiting";

interface Agent {
  phase: Phase;
  call: Call | undefined;
  controller: AbortController | undefined;
  expected: Outcome;
  /** Whether the current wait has a timeout (so letting time pass ends it). */
  timed: boolean;
}

/** The lock and the condition in plain JS. */
class Model {
  holder: number | null = null;
  /** Tasks waiting for the lock: a plain acquire, or a woken waiter taking the lock back. */
  readonly lockQueue: { agent: number; restore: boolean }[] = [];
  readonly condQueue: ModelWaiter[] = [];
  /** Waiters whose wait has ended, in the order it ended; each asks for the lock when the loop next turns. */
  private readonly ended: number[] = [];
  /** What each ended wait resolves to once its task holds the lock again. */
  private readonly result = new Map<number, Outcome>();
  /** Σ over notify(n) calls of min(n, waiters at that moment): how many waits must resolve true. */
  owedWakeups = 0;
  private seq = 0;

  constructor(readonly agents: Agent[]) {}

  get locked(): boolean {
    return this.holder !== null;
  }

  private lockFor(agent: number, restore: boolean): void {
    if (this.holder === null) this.grant(agent, restore);
    else this.lockQueue.push({ agent, restore });
  }

  private grant(agent: number, restore: boolean): void {
    this.holder = agent;
    this.agents[agent]!.expected = restore ? this.result.get(agent)! : resolved(true);
  }

  acquire(agent: number): void {
    this.agents[agent]!.expected = PENDING;
    this.lockFor(agent, false);
  }

  release(): void {
    this.holder = null;
    const next = this.lockQueue.shift();
    if (next !== undefined) this.grant(next.agent, next.restore);
  }

  private end(agent: number, outcome: Outcome): void {
    this.result.set(agent, outcome);
    this.ended.push(agent);
  }

  wait(agent: number, mode: Mode, timeout: number, now: number): void {
    if (mode === "preaborted") {
      this.agents[agent]!.expected = rejected(this.agents[agent]!.controller!.signal.reason);
      return; // nothing happened: the task still holds the lock
    }
    this.agents[agent]!.expected = PENDING;
    if (triesOnce(mode)) this.end(agent, resolved(false));
    else this.condQueue.push({ agent, deadline: deadlineOf(mode, timeout, now), seq: this.seq++ });
    this.release();
  }

  notify(n: number): void {
    const woken = Math.min(n, this.condQueue.length);
    this.owedWakeups += woken;
    for (const w of this.condQueue.splice(0, woken)) this.end(w.agent, resolved(true));
  }

  abort(agent: number, reason: unknown): void {
    const i = this.condQueue.findIndex((w) => w.agent === agent);
    if (i < 0) return; // notified or timed out already: the abort changes nothing
    this.condQueue.splice(i, 1);
    this.end(agent, rejected(reason));
  }

  timePassed(now: number): void {
    for (const w of expire(this.condQueue, now)) this.end(w.agent, resolved(false));
  }

  /** The loop turns: every ended wait asks for the lock back, in the order the waits ended. */
  turn(): void {
    for (const agent of this.ended.splice(0)) this.lockFor(agent, true);
  }
}

async function runSchedule(schedule: Step[], time: VirtualTime): Promise<void> {
  const cond = new Condition(new Lock());
  const agents: Agent[] = Array.from({ length: AGENTS + 1 }, () => ({
    phase: "idle",
    call: undefined,
    controller: undefined,
    expected: PENDING,
    timed: false,
  }));
  const model = new Model(agents);
  let notifiedWaits = 0;

  const checkSync = (what: string): void => {
    assert.equal(cond.locked(), model.locked, `${what}: locked()`);
  };

  const flush = async (what: string): Promise<void> => {
    model.turn();
    await settle();
    for (const [i, agent] of agents.entries()) {
      if (agent.phase !== "acquiring" && agent.phase !== "waiting") continue;
      const outcome = agent.call!.outcome;
      assertOutcome(
        outcome,
        agent.expected,
        `${what}: agent ${i}'s ${agent.phase === "waiting" ? "wait" : "acquire"}`,
      );
      if (outcome.state === "pending") continue;
      if (agent.phase === "waiting" && outcome.state === "resolved" && outcome.value === true)
        notifiedWaits++;
      agent.phase = "holding"; // a wait settles only once its task holds the lock again, however it ended
      agent.call = undefined;
      agent.controller = undefined;
    }
    const holders = agents.flatMap((a, i) => (a.phase === "holding" ? [i] : []));
    assert.deepEqual(holders, model.holder === null ? [] : [model.holder], `${what}: the lock's holder`);
    assert.ok(notifiedWaits <= model.owedWakeups, `${what}: more waits resolved true than notify(n) woke`);
    checkSync(what);
  };

  const abort = (i: number): void => {
    const reason = new Error(`agent ${i} gives up`);
    agents[i]!.controller!.abort(reason);
    model.abort(i, reason);
  };

  const acquire = (i: number): void => {
    Object.assign(agents[i]!, { phase: "acquiring", call: new Call(cond.acquire()) });
    model.acquire(i);
  };

  const release = (i: number): void => {
    cond.release();
    model.release();
    agents[i]!.phase = "idle";
  };

  const notify = (n: number | "all"): void => {
    if (n === "all") {
      const waiting = model.condQueue.length;
      cond.notifyAll();
      model.notify(waiting);
    } else {
      cond.notify(n);
      model.notify(n);
    }
  };

  for (const [n, step] of schedule.entries()) {
    const what = `step ${n} (${JSON.stringify(step)})`;
    if (step.kind === "tick") {
      time.tick(step.ms);
      model.timePassed(time.now);
    } else {
      const i = step.agent;
      const agent = agents[i]!;
      if (agent.phase === "idle") {
        acquire(i);
      } else if (agent.phase === "holding") {
        const choice = step.variant % (MODES.length + 7);
        if (choice < MODES.length) {
          const mode = MODES[choice]!;
          const { opts, controller } = optionsFor(mode, step.timeout);
          Object.assign(agent, { phase: "waiting", controller, call: new Call(cond.wait(opts)) });
          agent.timed = deadlineOf(mode, step.timeout, 0) !== Number.POSITIVE_INFINITY;
          model.wait(i, mode, step.timeout, time.now);
        } else if (choice < MODES.length + 4) {
          notify(choice - MODES.length); // 0..3
        } else if (choice === MODES.length + 4) {
          notify("all");
        } else {
          release(i);
        }
      } else if (
        agent.phase === "waiting" &&
        agent.controller !== undefined &&
        !agent.controller.signal.aborted
      ) {
        abort(i);
      }
    }
    checkSync(what);
    if (step.flush) await flush(what);
  }
  await flush("end of schedule");

  // Everyone leaves: holders notify everyone and release; when nobody holds the lock, sleepers are woken by
  // aborts, by their timeouts, or by a janitor that takes the lock and notifies them all.
  for (let round = 0; agents.some((a) => a.phase !== "idle"); round++) {
    assert.ok(round <= 8 * AGENTS, "a task is left waiting although everyone was notified");
    const holder = agents.findIndex((a) => a.phase === "holding");
    if (holder >= 0) {
      notify("all");
      release(holder);
    } else if (agents.some((a) => a.phase === "waiting" && (a.timed || a.controller !== undefined))) {
      for (const [i, a] of agents.entries()) {
        if (a.phase === "waiting" && a.controller !== undefined && !a.controller.signal.aborted) abort(i);
      }
      time.tick(10);
      model.timePassed(time.now);
    } else if (agents[JANITOR]!.phase === "idle") {
      acquire(JANITOR);
    }
    await flush(`cleanup round ${round}`);
  }
  assert.equal(notifiedWaits, model.owedWakeups, "waits resolved true = Σ over notify(n) of min(n, waiting)");
  assert.equal(cond.locked(), false, "the lock is free once everyone has left");
  assert.deepEqual(model.condQueue, []);

  // No waiter is left behind: a fresh waiter is the one a notify(1) wakes.
  assert.ok(cond.tryAcquire());
  const fresh = new Call(cond.wait());
  await settle();
  assert.deepEqual(fresh.outcome, PENDING);
  assert.ok(cond.tryAcquire(), "wait lets go of the lock");
  cond.notify(1);
  cond.release();
  await settle();
  assert.deepEqual(fresh.outcome, resolved(true), "notify(1) wakes the fresh waiter");
  assert.ok(cond.locked(), "the woken waiter holds the lock again");
  cond.release();
}

describe("Condition under random schedules of wait, notify(n), notifyAll, release, aborts and timeouts", () => {
  it("wakes exactly min(n, waiting) longest waiters per notify, never loses a notify to a waiter that times out or aborts at the same moment, and settles every wait with the lock held", async () => {
    await fc.assert(
      fc.asyncProperty(steps(AGENTS, 80), (schedule) =>
        withVirtualTime((time) => runSchedule(schedule, time)),
      ),
      { numRuns: RUNS },
    );
  });
});
