/**
 * Agent bodies of the RLock suite (reusable by any suite that needs an RLock's depth). Each talks to the test
 * only through the primitives it is given and what it returns, and awaits every call, so any tier can run it.
 */
import type * as api from "../../../src/api/primitives.ts";

/**
 * Releases `lock` level by level until a release fails with ERR_RUNTIME ("cannot release un-acquired lock"),
 * and returns how many levels the caller held. Stops at 100 levels, so a broken lock cannot loop forever.
 */
export async function rlockReleaseLevels(lock: api.Acquirable): Promise<number> {
  let levels = 0;
  while (levels < 100) {
    try {
      await lock.release();
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_RUNTIME") return levels;
      throw error;
    }
    levels++;
  }
  return levels;
}

/**
 * Acquires `lock` `depth` times, says so on `held`, keeps it until `letGo` is set, then releases every level
 * it holds; returns that number of levels (so `depth` if nothing was lost or added meanwhile).
 */
export async function rlockHoldUntil(
  lock: api.Acquirable,
  depth: number,
  held: api.Event,
  letGo: api.Event,
): Promise<number> {
  for (let i = 0; i < depth; i++) {
    if (!(await lock.acquire())) throw new Error(`acquire #${i + 1} resolved false`);
  }
  await held.set();
  await letGo.wait();
  return rlockReleaseLevels(lock);
}

/** Tries `lock` once from this agent; gives it back if it got it. Returns whether it got it. */
export async function rlockTryOnce(lock: api.Acquirable): Promise<boolean> {
  const got = await lock.tryAcquire();
  if (got) await lock.release();
  return got;
}

/** Acquires `lock` with `timeout` from this agent; gives it back if it got it. Returns the acquire result. */
export async function rlockAcquireWithin(lock: api.Acquirable, timeout: number): Promise<boolean> {
  const got = await lock.acquire({ timeout });
  if (got) await lock.release();
  return got;
}

/** Releases `lock` once from this agent; returns the error it threw as `{ name, code, message }`, or null. */
export async function rlockReleaseOnce(
  lock: api.Acquirable,
): Promise<{ name: string; code: unknown; message: string } | null> {
  try {
    await lock.release();
    return null;
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { name: e.name, code: e.code, message: e.message };
  }
}
