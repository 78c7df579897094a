/** The local tier as the contract suites see it: factories, and agents that are Threads (tasks). */
import type { PriorityQueueOptions } from "../../src/api/options.ts";
import type * as api from "../../src/api/primitives.ts";
import * as tk from "../../src/index.ts";
import type { Tier } from "../contract/tier.ts";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export const localTier: Tier = {
  name: "local",
  Lock: () => new tk.Lock(),
  RLock: () => new tk.RLock(),
  Condition: (lock) => new tk.Condition(lock as tk.Lock | tk.RLock | undefined),
  Semaphore: (value) => new tk.Semaphore(value),
  BoundedSemaphore: (value) => new tk.BoundedSemaphore(value),
  Event: () => new tk.Event(),
  Barrier: (parties, options) => new tk.Barrier(parties, options),
  Queue: <T>(maxsize?: number): api.Queue<T> => new tk.Queue<T>(maxsize),
  LifoQueue: <T>(maxsize?: number): api.Queue<T> => new tk.LifoQueue<T>(maxsize),
  PriorityQueue: <T>(maxsize?: number, options?: PriorityQueueOptions<T>): api.Queue<T> =>
    new tk.PriorityQueue<T>(maxsize, options),
  SimpleQueue: <T>(): api.SimpleQueue<T> => new tk.SimpleQueue<T>(),
  agents: {
    kind: "tasks",
    spawn(body, ...args) {
      return new Promise((resolve, reject) => {
        new tk.Thread({ target: () => body(...args).then(resolve, reject), name: body.name }).start();
      });
    },
    async settle() {
      for (let i = 0; i < 5; i++) await turn();
    },
  },
};
