/** Thread targets for the threads page: each runs on a module Web Worker that a threads-tier Thread started. */
import { currentThread, type Lock, type Queue, type RLock } from "../../../src/threads/index.ts";

/** `n` plain increments of a shared counter, each under `lock`. */
export default function count(lock: Lock, counter: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    counter[0] = (counter[0] as number) + 1;
    lock.release();
  }
}

/** Reports who this thread is, and whether it can take an RLock the main thread holds. */
export function whoami(out: Queue<unknown>, rlock: RLock): void {
  const me = currentThread();
  out.putSync([me.name, me.ident, rlock.tryAcquire()]);
}

export async function failing(): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new RangeError("the target fails on purpose");
}
