/**
 * A process of ../candy-machine-redis.ts: the vendor's refill() or a buyer's buy(), `loops` times, each
 * printing "Refilling candy..." or "Buying candy..." before it touches the tray and "OK" or why not after.
 * With `locked`, the lock is held across the whole line; without it, another process can print between
 * the two halves. Argv: role, the primitives' names, the tray's size, locked, loops. Reports its Tally.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Barrier, BoundedSemaphore, Lock, ValueError } from "threadkit/redis";
import { connect, finish } from "../redis/child.ts";

export interface Tally {
  refilled: number;
  full: number;
  bought: number;
  empty: number;
}

const [role, names, max, locked, loops] = process.argv.slice(2);
const client = await connect();
const candytray = new BoundedSemaphore(Number(max), { name: `${names}:tray` });
const lock = new Lock({ name: `${names}:lock` });
const open = new Barrier(3, { name: `${names}:open` });
const tally: Tally = { refilled: 0, full: 0, bought: 0, empty: 0 };

async function refill(): Promise<void> {
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

async function buy(): Promise<void> {
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
await open.wait(); // the machine opens once everyone is there (a process takes a moment to start)
for (let i = 0; i < Number(loops); i++) {
  if (locked === "true") {
    await using _held = await lock.hold(); // a Redis guard's release is a round trip: `await using`
    await step();
  } else {
    await step();
  }
  await sleep(Math.floor(Math.random() * 3) * 15); // Python: a random pause of 0 to 2 s
}
await finish(client, tally);
