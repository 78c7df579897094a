/**
 * Agent bodies of the Lock suite (and any lock-like one): what a concurrent agent (task, worker, process) runs in the contract suites. Each is an
 * exported async function that talks to the test only through the primitives it is given and what it
 * returns, so that any tier can run it in its own kind of agent.
 */
import type * as api from "../../../src/api/primitives.ts";

/** Acquires `lock`, says so on `held`, keeps it until `letGo` is set, releases it. */
export async function holdUntil(lock: api.Acquirable, held: api.Event, letGo: api.Event): Promise<void> {
  await lock.acquire();
  await held.set();
  await letGo.wait();
  await lock.release();
}

/** Acquires `lock` (with `timeout`, if given), logs `id` while holding it, releases; returns the acquire result. */
export async function acquireAndLog(
  lock: api.Acquirable,
  log: api.SimpleQueue<string>,
  id: string,
  timeout?: number,
): Promise<boolean> {
  const ok = await lock.acquire(timeout === undefined ? undefined : { timeout });
  if (!ok) return false;
  await log.putNowait(id);
  await lock.release();
  return true;
}

/** Runs `rounds` critical sections through `run()`, checking that nobody else is inside (via `inside`). */
export async function exclusiveRounds(
  lock: api.Acquirable,
  inside: api.Semaphore,
  rounds: number,
): Promise<number> {
  let violations = 0;
  for (let i = 0; i < rounds; i++) {
    await lock.run(async () => {
      if (!(await inside.tryAcquire())) violations++;
      await Promise.resolve();
      await inside.release();
    });
  }
  return violations;
}
