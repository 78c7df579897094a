/**
 * Agent bodies of the Condition suite. Each talks to the test only through the primitives it is given and what
 * it returns, and awaits every call, so any tier can run it.
 *
 * The waiters release a permit of `ready` while they hold the condition's lock, just before `wait()`: once the
 * test has taken that permit, its own `cond.acquire()` can only succeed after the waiter has let go of the lock
 * inside `wait()`, so the test knows for sure that the waiter is waiting (no lost notify, no sleeping).
 */
import type * as api from "../../../src/api/primitives.ts";
import { rlockReleaseLevels } from "./rlock.ts";

/**
 * Acquires `cond`, announces itself on `ready`, waits (for `timeout` ms, if given), logs `id` if notified
 * (still holding the lock), releases; returns what `wait()` resolved.
 */
export async function conditionWaitAndLog(
  cond: api.Condition,
  ready: api.Semaphore,
  log: api.SimpleQueue<string>,
  id: string,
  timeout?: number,
): Promise<boolean> {
  await cond.acquire();
  await ready.release();
  let notified: boolean;
  try {
    notified = await cond.wait(timeout === undefined ? undefined : { timeout });
    if (notified) await log.putNowait(id);
  } finally {
    await cond.release();
  }
  return notified;
}

/**
 * Acquires `cond` `depth` times, announces itself on `ready`, (if `go` is given) waits for a permit of `go`,
 * waits (for `timeout` ms, if given), then counts the levels it holds by releasing them all. Returns what
 * `wait()` resolved and that depth.
 */
export async function conditionWaitAtDepth(
  cond: api.Condition,
  depth: number,
  ready: api.Semaphore,
  timeout?: number,
  go?: api.Semaphore,
): Promise<{ notified: boolean; depth: number }> {
  for (let i = 0; i < depth; i++) await cond.acquire();
  await ready.release();
  if (go !== undefined) await go.acquire();
  const notified = await cond.wait(timeout === undefined ? undefined : { timeout });
  return { notified, depth: await rlockReleaseLevels(cond) };
}

/** Acquires `cond`, notifies `n` waiters, releases. */
export async function conditionNotify(cond: api.Condition, n: number): Promise<void> {
  await cond.acquire();
  try {
    await cond.notify(n);
  } finally {
    await cond.release();
  }
}

/** Calls `notify()` (or `wait()` with `timeout: 0`) without acquiring `cond`; returns the error's code, or null. */
export async function conditionUseUnheld(cond: api.Condition, what: "notify" | "wait"): Promise<unknown> {
  try {
    if (what === "notify") await cond.notify();
    else await cond.wait({ timeout: 0 });
    return null;
  } catch (error) {
    return (error as { code?: unknown }).code ?? String(error);
  }
}
