/**
 * The common machinery of the property suites: virtual time, settling, and the record of what each task's
 * pending call resolved to, compared with what a plain-JS model says it must resolve to.
 *
 * Determinism: nothing here races a real clock. Timers are node:test's mock timers (the library arms its
 * timeouts with `setTimeout(fn, delay, arg)`), and `performance.now()` (the library's monotonic clock) is
 * stubbed to the same virtual clock, so a timeout of `t` ms armed at virtual time `s` fires exactly when
 * `tick()` brings the clock to `s + t`, with ties broken by the order the timers were armed (as mock timers
 * do). A step of a schedule is synchronous; `settle()` then lets every continuation that can run, run
 * (microtasks drain completely before a setImmediate callback), so what the tasks observe afterwards is fixed.
 */
import assert from "node:assert/strict";
import { mock } from "node:test";
import fc from "fast-check";

/** What a call resolved to, from the caller's side. */
export type Outcome =
  | { readonly state: "pending" }
  | { readonly state: "resolved"; readonly value: unknown }
  | { readonly state: "rejected"; readonly reason: unknown };

export const PENDING: Outcome = { state: "pending" };
export const resolved = (value: unknown): Outcome => ({ state: "resolved", value });
export const rejected = (reason: unknown): Outcome => ({ state: "rejected", reason });

/** An error class the model expects, where the library throws a fresh instance each time. */
export class ErrorOf {
  constructor(readonly Class: abstract new (...args: never[]) => Error) {}
}

/** Lets every task that can run now run to its next wait. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Virtual milliseconds: the mocked setTimeout and performance.now() agree on them. */
export class VirtualTime {
  now = 0;

  /** Advances the clock by `ms`, firing (synchronously) every timer that falls due, in deadline order. */
  tick(ms: number): void {
    this.now += ms;
    mock.timers.tick(ms);
  }
}

/** Runs `body` with mocked setTimeout/clearTimeout and performance.now(), and always restores them. */
export async function withVirtualTime<T>(body: (time: VirtualTime) => Promise<T>): Promise<T> {
  const time = new VirtualTime();
  mock.timers.enable({ apis: ["setTimeout"] });
  const now = mock.method(performance, "now", () => time.now);
  try {
    return await body(time);
  } finally {
    now.mock.restore();
    mock.timers.reset();
  }
}

/** Watches a call's promise; `outcome` follows it once the loop has settled. */
export class Call {
  outcome: Outcome = PENDING;
  /** `onSettled` runs when the promise settles, in the order the library settled the calls. */
  constructor(promise: Promise<unknown>, onSettled?: (outcome: Outcome) => void) {
    promise.then(
      (value) => {
        this.outcome = resolved(value);
        onSettled?.(this.outcome);
      },
      (reason: unknown) => {
        this.outcome = rejected(reason);
        onSettled?.(this.outcome);
      },
    );
  }
}

/** Asserts that what a call did is what the model says: same state, same value, the same (or same kind of) error. */
export function assertOutcome(actual: Outcome, expected: Outcome, what: string): void {
  if (expected.state === "rejected" && actual.state === "rejected") {
    if (expected.reason instanceof ErrorOf) {
      assert.ok(
        actual.reason instanceof expected.reason.Class,
        `${what}: expected a ${expected.reason.Class.name}, got ${String(actual.reason)}`,
      );
    } else {
      assert.equal(actual.reason, expected.reason, `${what}: rejected with another reason`);
    }
    return;
  }
  assert.deepEqual(actual, expected, what);
}

/**
 * One step of a schedule. `agent` and `variant` are read according to what the agent is doing when the step
 * comes (an idle agent starts a call of kind `variant`, a waiting one may be aborted, a holder releases...).
 * `flush: false` makes the next step happen in the same synchronous run as this one, before any woken task
 * runs: that is how "at the same moment" (a timeout and a release, an abort and a notify) is modelled.
 */
export interface AgentStep {
  readonly kind: "agent";
  readonly agent: number;
  readonly variant: number;
  readonly timeout: number;
  readonly flush: boolean;
}
export interface TickStep {
  readonly kind: "tick";
  readonly ms: number;
  readonly flush: boolean;
}
export type Step = AgentStep | TickStep;

export function steps(agents: number, maxLength = 60): fc.Arbitrary<Step[]> {
  const flush = fc.boolean(); // half the steps share their synchronous run with the next one
  const agentStep: fc.Arbitrary<Step> = fc.record({
    kind: fc.constant("agent" as const),
    agent: fc.nat(agents - 1),
    variant: fc.nat(99),
    timeout: fc.integer({ min: 1, max: 5 }),
    flush,
  });
  const tickStep: fc.Arbitrary<Step> = fc.record({
    kind: fc.constant("tick" as const),
    ms: fc.integer({ min: 1, max: 3 }),
    flush,
  });
  return fc.array(fc.oneof({ arbitrary: agentStep, weight: 5 }, { arbitrary: tickStep, weight: 1 }), {
    minLength: 1,
    maxLength,
    size: "max",
  });
}

/** How a waiting call is made; `pick(variant)` chooses one. */
export type Mode =
  | "plain"
  | "timeout"
  | "signal"
  | "timeout+signal"
  | "nonblocking"
  | "timeout0"
  | "preaborted";

export const MODES: readonly Mode[] = [
  "plain",
  "timeout",
  "signal",
  "timeout+signal",
  "signal",
  "timeout",
  "nonblocking",
  "timeout0",
  "preaborted",
];

/** The options bag of a call in `mode`, and its controller if it can be aborted. */
export function optionsFor(
  mode: Mode,
  timeout: number,
): {
  opts: { timeout?: number; signal?: AbortSignal; blocking?: boolean } | undefined;
  controller?: AbortController;
} {
  switch (mode) {
    case "plain":
      return { opts: undefined };
    case "timeout":
      return { opts: { timeout } };
    case "nonblocking":
      return { opts: { blocking: false } };
    case "timeout0":
      return { opts: { timeout: 0 } };
    case "signal":
    case "timeout+signal":
    case "preaborted": {
      const controller = new AbortController();
      if (mode === "preaborted") controller.abort(new Error("aborted before the call"));
      return {
        opts:
          mode === "timeout+signal" ? { timeout, signal: controller.signal } : { signal: controller.signal },
        controller,
      };
    }
  }
}

/** Whether a call in `mode` may queue, and until when (Infinity: no timeout). */
export function deadlineOf(mode: Mode, timeout: number, now: number): number {
  return mode === "timeout" || mode === "timeout+signal" ? now + timeout : Number.POSITIVE_INFINITY;
}

/** Calls made with `mode` that never wait. */
export function triesOnce(mode: Mode): boolean {
  return mode === "nonblocking" || mode === "timeout0";
}

/** A queued waiter of a model: who, until when, and in which order its timer was armed. */
export interface ModelWaiter {
  readonly agent: number;
  readonly deadline: number;
  readonly seq: number;
}

/**
 * The waiters of `queue` whose deadline has come by `now`, in the order their timers fire (deadline, then
 * arming order); they are removed from `queue`.
 */
export function expire<W extends ModelWaiter>(queue: W[], now: number): W[] {
  const due = queue.filter((w) => w.deadline <= now).sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
  for (const w of due) queue.splice(queue.indexOf(w), 1);
  return due;
}
