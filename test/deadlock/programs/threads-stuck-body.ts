/** The workers of ./threads-stuck.ts, by role. Every wait blocks and has no timeout. */
import type { Condition, Event, Queue } from "../../../src/threads/index.ts";

export default function role(what: string, ...args: unknown[]): void {
  switch (what) {
    case "wait": {
      const [cond, ready] = args as [Condition, Int32Array];
      cond.acquireSync();
      while (ready[0] === 0) cond.waitSync();
      cond.release();
      return;
    }
    case "rlock-wait": {
      const [cond, ready, finished] = args as [Condition, Int32Array, Event];
      cond.acquireSync();
      cond.acquireSync(); // depth 2: the wait lets go of both and takes both back
      while (ready[0] === 0) cond.waitSync();
      cond.release();
      cond.release();
      finished.set();
      return;
    }
    case "notify": {
      // Holds the lock until the waiter has finished, unless `release` (then lets go of it first).
      const [cond, ready, finished, release] = args as [Condition, Int32Array, Event, boolean];
      cond.acquireSync();
      ready[0] = 1;
      cond.notify();
      if (release) cond.release();
      finished.waitSync();
      if (!release) cond.release();
      return;
    }
    case "produce": {
      const [q, n] = args as [Queue<number>, number];
      for (let i = 0; i < n; i++) q.putSync(i);
      return;
    }
    case "consume": {
      const [q, n] = args as [Queue<number>, number];
      for (let i = 0; i < n; i++) q.getSync();
      return;
    }
  }
}
