/**
 * Agent bodies of the Barrier suite. Each is an exported async function that talks to the test only through
 * the primitives it is given and what it returns, so that any tier can run it in its own kind of agent.
 */
import type * as api from "../../../src/api/primitives.ts";

/** Waits at `barrier` (with `timeout`, if given) and returns the arrival index. */
export async function barrierWaitAndReport(barrier: api.Barrier, timeout?: number): Promise<number> {
  return barrier.wait(timeout === undefined ? undefined : { timeout });
}

/** Waits at `barrier`; returns the arrival index and whether `acted` was already set when this party passed. */
export async function barrierWaitAndCheck(
  barrier: api.Barrier,
  acted: api.Event,
): Promise<[number, boolean]> {
  const index = await barrier.wait();
  return [index, await acted.isSet()];
}

/**
 * Takes part in `rounds` rounds: in each, logs the round number on `log`, then waits at `barrier`.
 * Returns the arrival index of each round.
 */
export async function barrierRounds(
  barrier: api.Barrier,
  rounds: number,
  log: api.SimpleQueue<string>,
): Promise<number[]> {
  const indices: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await log.putNowait(String(round));
    indices.push(await barrier.wait());
  }
  return indices;
}
