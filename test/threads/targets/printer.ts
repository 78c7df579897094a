/**
 * Prints rounds under a lock (for ../stdio.test.ts): each round is three lines numbered by a shared counter
 * taken under the lock, the middle one on stderr when `toStderr`.
 */
import "./booted.ts";
import { currentThread, type Lock, Thread } from "../../../src/threads/index.ts";

export default function print(lock: Lock, round: Int32Array, rounds: number, toStderr: boolean): void {
  const me = currentThread().name;
  for (let i = 0; i < rounds; i++) {
    lock.acquireSync();
    const k = Atomics.add(round, 0, 1);
    console.log(`${k} acquired by ${me}`);
    if (toStderr) console.error(`${k} written by ${me}`);
    else console.log(`${k} written by ${me}`);
    console.log(`${k} released by ${me}`);
    lock.release();
  }
}

/** The same rounds from a thread this thread starts, then "joined" for it. */
export async function nested(
  lock: Lock,
  round: Int32Array,
  rounds: number,
  toStderr: boolean,
): Promise<void> {
  const name = `${currentThread().name}.1`;
  const child = new Thread({ target: new URL(import.meta.url), args: [lock, round, rounds, toStderr], name });
  child.start();
  await child.join();
  console.log(`joined ${child.name}`);
}
