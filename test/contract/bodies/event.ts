/**
 * Agent bodies of the Event suite. Each is an exported async function that talks to the test only through the
 * primitives it is given and what it returns, so that any tier can run it in its own kind of agent.
 */
import type * as api from "../../../src/api/primitives.ts";

/** Waits on `event` (with `timeout`, if given) and returns what the wait resolved. */
export async function eventWaitAndReport(event: api.Event, timeout?: number): Promise<boolean> {
  return event.wait(timeout === undefined ? undefined : { timeout });
}

/** Waits for `go`, then sets `target`; returns whether `target` was set before. */
export async function eventSetWhen(go: api.Event, target: api.Event): Promise<boolean> {
  await go.wait();
  const before = await target.isSet();
  await target.set();
  return before;
}
