/**
 * What a contract suite needs from a tier: a factory per primitive, and a way to start concurrent agents.
 * The same suites run against every tier (tasks here; worker threads and processes later), so:
 * - a suite only uses the interfaces of src/api (and awaits every call: Redis returns promises);
 * - an agent's body is an exported function of a module in ./bodies/ that talks to the test only through the
 *   primitives it is given and its return value (a worker cannot see the test's closures).
 */

import type { BarrierOptions, PriorityQueueOptions } from "../../src/api/options.ts";
import type * as api from "../../src/api/primitives.ts";
import { within } from "../helpers.ts";

export interface Tier {
  name: string;
  Lock(): api.Lock;
  RLock(): api.RLock;
  Condition(lock?: api.Lock | api.RLock): api.Condition;
  Semaphore(value?: number): api.Semaphore;
  BoundedSemaphore(value?: number): api.BoundedSemaphore;
  Event(): api.Event;
  Barrier(parties: number, options?: BarrierOptions): api.Barrier;
  Queue<T>(maxsize?: number): api.Queue<T>;
  LifoQueue<T>(maxsize?: number): api.Queue<T>;
  PriorityQueue<T>(maxsize?: number, options?: PriorityQueueOptions<T>): api.Queue<T>;
  SimpleQueue<T>(): api.SimpleQueue<T>;
  agents: Agents;
}

export interface Agents {
  kind: "tasks" | "workers" | "processes";
  /**
   * Starts an agent (a task, a worker, a process) that runs `body(...args)`; resolves what it returns,
   * rejects with what it throws. `body` must be an export of a module in ./bodies/ (names unique across them).
   */
  spawn<A extends unknown[], R>(body: (...args: A) => Promise<R>, ...args: A): Promise<R>;
  /**
   * Waits long enough for every agent that can make progress to have made it, so that "still waiting"
   * can be asserted. For tasks, a few turns of the event loop; across threads, a generous pause.
   */
  settle(): Promise<void>;
  /**
   * Resolves once every agent spawned so far has begun its body (or ended). Absent where agents begin at once
   * (tasks). See `deadlines`.
   */
  started?(): Promise<void>;
}

/**
 * `within` (../helpers.ts) for a suite's agents: its deadline counts from the moment every agent spawned so
 * far has begun its body (or from the call, if `promise` settles first). A deadline only catches a hang, so a
 * machine slow to start workers or processes must delay a check, never fail it.
 */
export function deadlines(agents: Agents): typeof within {
  const started = agents.started?.bind(agents);
  if (started === undefined) return within;
  return async <T>(promise: Promise<T>, ms?: number, what?: string): Promise<T> => {
    await Promise.race([started(), promise.then(ignore, ignore)]);
    return within(promise, ms, what);
  };
}

function ignore(): void {}
