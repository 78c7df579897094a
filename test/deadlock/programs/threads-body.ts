/** The body of each worker of ./threads.ts: takes `first`, then `second`, and says if it was told. */
import { DeadlockError, type Lock, type RLock } from "../../../src/threads/index.ts";

export default function take(
  first: Lock | RLock,
  second: Lock | RLock,
  told: Int32Array,
  meet: boolean,
): void {
  first.acquireSync();
  try {
    // Both hold their first lock before either asks for its second (told[1] counts the holders).
    if (meet) {
      Atomics.add(told, 1, 1);
      Atomics.notify(told, 1);
      for (let n: number; (n = Atomics.load(told, 1)) < 2; ) Atomics.wait(told, 1, n);
    }
    try {
      second.acquireSync();
      second.release();
    } catch (error) {
      if (!(error instanceof DeadlockError)) throw error;
      Atomics.add(told, 0, 1);
      console.error(error.message);
    }
  } finally {
    first.release();
  }
}
