/**
 * The vendor's refill() and a buyer's buy(), each printing "Refilling candy..." or "Buying candy..." before it
 * touches the tray and "OK" or why not after, as in the book. With `locked`, the lock is held across the
 * whole line; without it, another thread can print between the two halves. `tally` counts the outcomes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Barrier, type BoundedSemaphore, type Lock, ValueError } from "threadkit/threads";

const REFILLED = 0;
const FULL = 1;
const BOUGHT = 2;
const EMPTY = 3;

async function refill(candytray: BoundedSemaphore, tally: Int32Array): Promise<void> {
  process.stdout.write("Refilling candy... ");
  await sleep(2); // the vendor opens the machine
  try {
    candytray.release();
  } catch (error) {
    if (!(error instanceof ValueError)) throw error; // "Semaphore released too many times"
    Atomics.add(tally, FULL, 1);
    console.log("full, skipping");
    return;
  }
  Atomics.add(tally, REFILLED, 1);
  console.log("OK");
}

async function buy(candytray: BoundedSemaphore, tally: Int32Array): Promise<void> {
  process.stdout.write("Buying candy... ");
  await sleep(2); // the buyer finds a coin
  if (candytray.tryAcquire()) {
    // Python: candytray.acquire(False)
    Atomics.add(tally, BOUGHT, 1);
    console.log("OK");
  } else {
    Atomics.add(tally, EMPTY, 1);
    console.log("empty, skipping");
  }
}

/** Runs `step` `loops` times, under the lock if `locked`, with a random pause after each (Python: 0-2 s). */
async function loop(step: () => Promise<void>, lock: Lock, locked: boolean, loops: number): Promise<void> {
  for (let i = 0; i < loops; i++) {
    if (locked) {
      using _held = await lock.hold();
      await step();
    } else {
      await step();
    }
    await sleep(Math.floor(Math.random() * 3) * 15);
  }
}

export async function vendor(
  candytray: BoundedSemaphore,
  lock: Lock,
  locked: boolean,
  tally: Int32Array,
  loops: number,
  open: Barrier,
) {
  await open.wait(); // the machine opens once everyone is there (a worker takes a moment to start)
  await loop(() => refill(candytray, tally), lock, locked, loops);
}

export async function buyer(
  candytray: BoundedSemaphore,
  lock: Lock,
  locked: boolean,
  tally: Int32Array,
  loops: number,
  open: Barrier,
) {
  await open.wait();
  await loop(() => buy(candytray, tally), lock, locked, loops);
}
