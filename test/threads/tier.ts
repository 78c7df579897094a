/**
 * The threads tier as the contract suites see it: factories of threadkit/threads primitives, and agents that
 * are worker threads. An agent runs an export of test/contract/bodies/ in a new worker (./contract-worker.ts);
 * primitives travel as handles and arrive live.
 * The suites' logs (`tier.SimpleQueue()`) are the tier's own SimpleQueue.
 */
import type * as api from "../../src/api/primitives.ts";
import type { Futex } from "../../src/threads/futex.ts";
import { isPrimitive, toHandle } from "../../src/threads/handle.ts";
import * as tk from "../../src/threads/index.ts";
import type { Agents, Tier } from "../contract/tier.ts";
import { sleep } from "../helpers.ts";
import { rebuild, startWorker, type WorkerError } from "./spawn.ts";

/** Every primitive made through the tier, so that settle() can watch their FIFOs. */
const made = new Set<{ _core: Futex }>();
function track<P extends { _core: Futex }>(primitive: P): P {
  made.add(primitive);
  return primitive;
}
/** A queue has three FIFOs (getters, putters, joiners): settle() watches each. */
function trackQueue<Q extends { _cores(): Futex[] }>(queue: Q): Q {
  for (const core of queue._cores()) made.add({ _core: core });
  return queue;
}

/** Agents still starting (their worker has not begun the body yet). */
const starting = new Set<Promise<void>>();
/** The status word of each running agent: its pending async waits (see ./contract-worker.ts). */
const running = new Set<Int32Array>();

function wire(value: unknown): unknown {
  return isPrimitive(value) ? toHandle(value) : value;
}

/** A fingerprint of everyone's progress: how many wait in each FIFO, and how many agents are running. */
function progress(): string {
  let s = "";
  for (const p of made) s += `${p._core.size},`;
  return s;
}

/**
 * Bounds the start-up of agents: only a hang (a worker that never begins its body nor exits) exceeds it,
 * since starting even dozens of tsx workers at once takes seconds on a loaded machine.
 */
const START_BOUND = 180_000;

/**
 * How long settle() waits, past the start-ups, for every running agent to park: it returns as soon as they
 * have, so only an agent that neither parks nor ends costs all of it; on a loaded machine a worker can take
 * seconds from its start to its first wait.
 */
const PARK_BOUND = 20_000;

/** Resolves once every agent spawned so far has begun its body or exited. */
async function started(): Promise<void> {
  const deadline = performance.now() + START_BOUND;
  while (starting.size > 0) {
    if (performance.now() > deadline) throw new Error(`agents did not start within ${START_BOUND} ms`);
    await Promise.race([...starting, sleep(1000)]);
  }
}

const agents: Agents = {
  kind: "workers",
  started,
  spawn<A extends unknown[], R>(body: (...args: A) => Promise<R>, ...args: A): Promise<R> {
    const status = new Int32Array(new SharedArrayBuffer(4));
    running.add(status);
    const worker = startWorker(new URL("./contract-worker.ts", import.meta.url), {
      body: body.name,
      args: args.map(wire),
      status,
    });
    worker.once("exit", () => running.delete(status));
    let started!: () => void;
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    starting.add(startedPromise);
    startedPromise.then(() => starting.delete(startedPromise));
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      worker.on("message", (m: { started?: true; ok?: R; error?: WorkerError }) => {
        if (m.started) return started();
        settled = true;
        if (m.error) reject(rebuild(m.error));
        else resolve(m.ok as R);
      });
      worker.on("error", (e) => {
        settled = true;
        started();
        reject(e);
      });
      worker.on("exit", (code) => {
        started();
        if (!settled) reject(new Error(`agent ${body.name} exited with ${code} before answering`));
      });
    });
  },
  /**
   * Waits until every agent has started its body and is parked on a primitive (or has finished), then until
   * nothing has changed in the FIFOs of the tier's primitives for 100 ms; at most ~20 s past the start-ups.
   * Across threads there is no "run everything runnable" step, so settling is a generous pause, anchored
   * on what the agents report rather than on how fast workers happen to start.
   */
  async settle() {
    await started();
    const until = performance.now() + PARK_BOUND;
    const parked = () => [...running].every((status) => Atomics.load(status, 0) > 0);
    while (!parked() && performance.now() < until) await sleep(5);
    let last = progress();
    let quiet = 0;
    while (quiet < 4 && performance.now() < until + 1_000) {
      await sleep(25);
      const now = progress();
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  },
};

export const threadsTier: Tier = {
  name: "threads",
  Lock: () => track(new tk.Lock()),
  RLock: () => track(new tk.RLock()),
  Condition: (lock) => track(new tk.Condition(lock as tk.Lock | tk.RLock | undefined)),
  Semaphore: (value) => track(new tk.Semaphore(value)),
  BoundedSemaphore: (value) => track(new tk.BoundedSemaphore(value)),
  Event: () => track(new tk.Event()),
  // The action stays on this (the test's) thread; see src/threads/barrier.ts for who runs it.
  Barrier: (parties, options) => track(new tk.Barrier(parties, options)),
  Queue: <T>(maxsize?: number): api.Queue<T> => trackQueue(new tk.Queue<T>(maxsize)),
  LifoQueue: <T>(maxsize?: number): api.Queue<T> => trackQueue(new tk.LifoQueue<T>(maxsize)),
  // The threads tier orders by key (no compare function can cross threads); the suites use default order only.
  PriorityQueue: <T>(maxsize?: number): api.Queue<T> => trackQueue(new tk.PriorityQueue<T>(maxsize)),
  SimpleQueue: <T>(): api.SimpleQueue<T> => {
    const queue = new tk.SimpleQueue<T>();
    trackQueue(queue._queue);
    return queue;
  },
  agents,
};
