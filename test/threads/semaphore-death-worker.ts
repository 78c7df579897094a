/**
 * Worker entry of ./semaphore-death.test.ts: runs one real Semaphore operation and stops for good at its
 * `at`-th point, counting every journaled write (`set`), the end of each step (`commit`), each grant and
 * the letting go of GUARD: the test then terminates it there. `flag[0]` is 1 once stopped, 2 if the
 * operation ended before its `at`-th point. `op`: `acquire` (a take without waiting), `release` (of a
 * permit this thread took first; the test may queue a waiter before it lets the worker go on: `flag[0]` is
 * 3 once it holds the permit, and the test sets it to 4), `recover` (a tryAcquire that recovers the
 * permits of a thread that died holding them).
 */
import { workerData } from "node:worker_threads";
import { OwnerDiedError } from "../../src/api/errors.ts";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Semaphore } from "../../src/threads/semaphore.ts";

const { op, handle, flag, at } = workerData as {
  op: "acquire" | "release" | "recover";
  handle: Handle;
  flag: Int32Array;
  at: number;
};

const sem = fromHandle(handle) as Semaphore;

if (op === "release") {
  sem.acquireSync();
  Atomics.store(flag, 0, 3);
  while (Atomics.load(flag, 0) === 3) Atomics.wait(flag, 0, 3, 50);
}

let points = 0;
/** Wraps `target[name]` so that the `at`-th call of any wrapped method never returns. */
function stopAt(target: object, name: string): void {
  const t = target as Record<string, (...args: unknown[]) => unknown>;
  const real = t[name]!;
  t[name] = function (this: unknown, ...args: unknown[]) {
    if (++points === at) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      for (;;) Atomics.wait(flag, 0, 1);
    }
    return real.apply(this, args);
  };
}
stopAt(sem, "set");
stopAt(sem, "commit");
stopAt(sem._core, "grant");
stopAt(sem._core, "unlock");

try {
  if (op === "acquire") sem.acquireSync({ timeout: 0 });
  else if (op === "release") sem.release();
  else sem.tryAcquire();
} catch (e) {
  if (!(e instanceof OwnerDiedError)) throw e;
}
Atomics.store(flag, 0, 2);
Atomics.notify(flag, 0);
for (;;) Atomics.wait(flag, 0, 2); // holds what it got: the test terminates it
