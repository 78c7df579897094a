/**
 * `Condition.waitFor`, the same in every tier: a loop of the tier's own `wait` with one absolute deadline.
 */
import type { Awaitable, WaitOptions } from "../api/options.ts";
import { admit } from "./checks.ts";
import { now } from "./deadline.ts";
import { isThenable } from "./thenable.ts";

/** What waitFor needs of a Condition. */
export interface Waitable {
  wait(opts?: WaitOptions): Promise<boolean>;
}

/**
 * Waits on `cond` until `predicate()` is truthy and resolves its last value; with a timeout, the last (falsy)
 * value once the deadline passes. A predicate already truthy resolves at once, without waiting (and without
 * the lock check `wait` makes, as Python). A predicate that returns a promise is awaited, holding the lock.
 */
export async function waitFor<T>(
  cond: Waitable,
  predicate: () => Awaitable<T>,
  opts?: WaitOptions,
): Promise<T> {
  if (typeof predicate !== "function") throw new TypeError("predicate must be a function");
  const ms = admit(opts);
  if (typeof ms !== "number") return ms;
  let result = predicate();
  if (isThenable(result)) result = await result;
  if (result) return result;
  const deadline = now() + ms; // absolute, so wake-ups that find the predicate false do not extend it
  const signal = opts?.signal;
  for (;;) {
    await cond.wait({ timeout: Math.max(deadline - now(), 0), signal });
    result = predicate();
    if (isThenable(result)) result = await result;
    if (result || now() >= deadline) return result;
  }
}
