/**
 * Agent bodies of the Semaphore suite. Each talks to the test only through the primitives it is given and what
 * it returns, and awaits every call, so any tier can run it.
 */
import type * as api from "../../../src/api/primitives.ts";

/** Acquires a permit of `sem` (with `timeout`, if given) and logs `id` if it got one; keeps the permit. */
export async function semaphoreAcquireAndLog(
  sem: api.Semaphore,
  log: api.SimpleQueue<string>,
  id: string,
  timeout?: number,
): Promise<boolean> {
  const ok = await sem.acquire(timeout === undefined ? undefined : { timeout });
  if (ok) await log.putNowait(id);
  return ok;
}

/**
 * Runs `rounds` sections through `sem.run()`; inside each, takes a permit of `inside` (a Semaphore with as
 * many permits as `sem`) without waiting. Returns how often that failed, i.e. how often more agents were inside
 * than `sem` allows.
 */
export async function semaphoreBoundedRounds(
  sem: api.Semaphore,
  inside: api.Semaphore,
  rounds: number,
): Promise<number> {
  let violations = 0;
  for (let i = 0; i < rounds; i++) {
    await sem.run(async () => {
      const ok = await inside.tryAcquire();
      if (!ok) violations++;
      await Promise.resolve();
      if (ok) await inside.release();
    });
  }
  return violations;
}
