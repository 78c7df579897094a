/**
 * The candy machine of the Python tutorial: a BoundedSemaphore holds the bars; refilling beyond the
 * machine's capacity is an error (ValueError), and buying from an empty machine fails without waiting.
 */
import { BoundedSemaphore, ValueError } from "threadkit";

const MAX = 5;
const candy = new BoundedSemaphore(MAX);

function refill(): void {
  try {
    candy.release();
    console.log(`refill: ok, ${candy.value} bars`);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    console.log(`refill: full (${error.message})`);
  }
}

async function buy(): Promise<void> {
  // Python: candy.acquire(False)
  if (await candy.acquire({ blocking: false })) console.log(`buy: ok, ${candy.value} bars left`);
  else console.log("buy: empty, try later");
}

refill(); // already full
for (let i = 0; i < MAX + 1; i++) await buy(); // the last one finds it empty
refill();
refill();
await buy();
if (candy.value !== 1) throw new Error(`expected 1 bar left, found ${candy.value}`);
