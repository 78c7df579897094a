/** A runner of ../barrier.ts: walk to the line, wait at the barrier, run, take a place under the lock. */
import type { Barrier, Lock } from "threadkit/threads";

/** Python's time.sleep in a thread: this thread blocks, nothing else does. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const time = () => new Date().toISOString().slice(11, 23);
const ordinal = (n: number) => `${n}${["st", "nd", "rd"][n - 1] ?? "th"}`;

export default function runner(b: Barrier, finish: Lock, places: Int32Array, me: number, name: string): void {
  sleep(50 + Math.random() * 200); // Python: sleep(randrange(2, 5))
  console.log(`${name} reached the barrier at: ${time()}`);
  b.waitSync(); // until all four are here (and the action has run)
  sleep(50 + Math.random() * 200); // the race
  finish.acquireSync();
  try {
    const place = Atomics.add(places, 0, 1) + 1; // taken and printed under one lock: printed in order
    places[place] = me;
    console.log(`${name} finished ${ordinal(place)} at: ${time()}`);
  } finally {
    finish.release();
  }
}
