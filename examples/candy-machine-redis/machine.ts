/**
 * A process of ../candy-machine-redis.ts: the vendor's refill() or a buyer's buy(), each printing "Refilling
 * candy..." or "Buying candy..." before it touches the tray and "OK" or why not after. Two rounds, each with
 * a tray and a lock of its own: without the lock, another process can print between the two halves of a
 * line; with it, held across the whole line, none can. Argv: role, the primitives' names, the tray's size,
 * and how many times to refill or buy in each round. After each round it puts its Tally on the tallies queue.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Barrier, BoundedSemaphore, Lock, Queue, ValueError } from "threadkit/redis";
import { connect, finish } from "../redis/child.ts";

export interface Tally {
  refilled: number;
  full: number;
  bought: number;
  empty: number;
}

const [role, names, max, ...loops] = process.argv.slice(2);
const client = await connect();
const open = new Barrier(4, { name: `${names}:open` });
const tallies = new Queue<Tally>(0, { name: `${names}:tallies` });

async function refill(candytray: BoundedSemaphore, tally: Tally): Promise<void> {
  process.stdout.write("Refilling candy... ");
  await sleep(2); // the vendor opens the machine
  try {
    await candytray.release();
  } catch (error) {
    if (!(error instanceof ValueError)) throw error; // "Semaphore released too many times"
    tally.full++;
    console.log("full, skipping");
    return;
  }
  tally.refilled++;
  console.log("OK");
}

async function buy(candytray: BoundedSemaphore, tally: Tally): Promise<void> {
  process.stdout.write("Buying candy... ");
  await sleep(2); // the buyer finds a coin
  if (await candytray.tryAcquire()) {
    // Python: candytray.acquire(False)
    tally.bought++;
    console.log("OK");
  } else {
    tally.empty++;
    console.log("empty, skipping");
  }
}

const step = role === "vendor" ? refill : buy;
for (const [round, locked] of [false, true].entries()) {
  const candytray = new BoundedSemaphore(Number(max), { name: `${names}:${round}:tray` });
  const lock = new Lock({ name: `${names}:${round}:lock` });
  const tally: Tally = { refilled: 0, full: 0, bought: 0, empty: 0 };
  await open.wait();
  for (let i = 0; i < Number(loops[round]); i++) {
    if (locked) {
      await using _held = await lock.hold(); // a Redis guard's release is a round trip: `await using`
      await step(candytray, tally);
    } else {
      await step(candytray, tally);
    }
    await sleep(Math.floor(Math.random() * 3) * 15); // Python: a random pause of 0 to 2 s
  }
  await tallies.put(tally);
}
await finish(client);
