/**
 * Event under random schedules of many tasks: waits (plain, timed, abortable, non-blocking), set(), clear(),
 * aborts and the passing of time, in any interleaving, including several in the same synchronous run.
 * A waiter resolves true exactly when the flag was set when it came or was set while it waited (even if
 * cleared since), false when its time ran out first, and rejects when it was aborted first.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Event } from "../../src/index.ts";
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
const RUNS = 200;

interface Agent {
  call: Call | undefined;
  controller: AbortController | undefined;
  expected: Outcome;
}

class Model {
  flag = false;
  readonly waiters: ModelWaiter[] = [];
  private seq = 0;

  constructor(readonly agents: Agent[]) {}

  wait(agent: number, mode: Mode, timeout: number, now: number): Outcome {
    if (mode === "preaborted") return rejected(this.agents[agent]!.controller!.signal.reason);
    if (this.flag) return resolved(true);
    if (triesOnce(mode)) return resolved(false);
    this.waiters.push({ agent, deadline: deadlineOf(mode, timeout, now), seq: this.seq++ });
    return PENDING;
  }

  set(): void {
    this.flag = true;
    for (const w of this.waiters.splice(0)) this.agents[w.agent]!.expected = resolved(true);
  }

  abort(agent: number, reason: unknown): void {
    const i = this.waiters.findIndex((w) => w.agent === agent);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.agents[agent]!.expected = rejected(reason);
  }

  timePassed(now: number): void {
    for (const w of expire(this.waiters, now)) this.agents[w.agent]!.expected = resolved(false);
  }
}

async function runSchedule(schedule: Step[], time: VirtualTime): Promise<void> {
  const event = new Event();
  const agents: Agent[] = Array.from({ length: AGENTS }, () => ({
    call: undefined,
    controller: undefined,
    expected: PENDING,
  }));
  const model = new Model(agents);

  const flush = async (what: string): Promise<void> => {
    await settle();
    for (const [i, agent] of agents.entries()) {
      if (agent.call === undefined) continue;
      assertOutcome(agent.call.outcome, agent.expected, `${what}: agent ${i}'s wait`);
      if (agent.call.outcome.state !== "pending")
        Object.assign(agent, { call: undefined, controller: undefined });
    }
    assert.equal(event.isSet(), model.flag, `${what}: isSet()`);
  };

  const abort = (i: number): void => {
    const reason = new Error(`agent ${i} gives up`);
    agents[i]!.controller!.abort(reason);
    model.abort(i, reason);
  };

  for (const [n, step] of schedule.entries()) {
    const what = `step ${n} (${JSON.stringify(step)})`;
    if (step.kind === "tick") {
      time.tick(step.ms);
      model.timePassed(time.now);
    } else {
      const agent = agents[step.agent]!;
      const choice = step.variant % (MODES.length + 2);
      if (agent.call !== undefined) {
        if (agent.controller !== undefined && !agent.controller.signal.aborted) abort(step.agent);
      } else if (choice < MODES.length) {
        const mode = MODES[choice]!;
        const { opts, controller } = optionsFor(mode, step.timeout);
        agent.controller = controller;
        agent.call = new Call(event.wait(opts));
        agent.expected = model.wait(step.agent, mode, step.timeout, time.now);
      } else if (choice === MODES.length) {
        event.set();
        model.set();
      } else {
        event.clear();
        model.flag = false;
      }
    }
    assert.equal(event.isSet(), model.flag, `${what}: isSet()`);
    if (step.flush) await flush(what);
  }
  await flush("end of schedule");

  // A set() releases everyone still waiting, and nobody is left behind.
  event.set();
  model.set();
  await flush("after the final set()");
  assert.ok(
    agents.every((a) => a.call === undefined),
    "every wait has settled",
  );
  event.clear();
  const fresh = new Call(event.wait());
  await settle();
  assert.deepEqual(fresh.outcome, PENDING);
  event.set();
  event.clear();
  await settle();
  assert.deepEqual(
    fresh.outcome,
    resolved(true),
    "a set() followed at once by clear() still wakes the waiter",
  );
}

describe("Event under random schedules of wait, set, clear, aborts and timeouts", () => {
  it("resolves each wait true iff the flag was set before it ended, false on timeout, and rejects on abort", async () => {
    await fc.assert(
      fc.asyncProperty(steps(AGENTS), (schedule) => withVirtualTime((time) => runSchedule(schedule, time))),
      { numRuns: RUNS },
    );
  });
});
