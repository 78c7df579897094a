/**
 * Producer and consumer, first with a Condition, then with an Event, as in the Python tutorials.
 */
import { Condition, Event, Thread } from "threadkit";

// With a Condition: the consumer waits for "an item is there"; the producer notifies.
const items: number[] = [];
const available = new Condition();

async function consumer(): Promise<number[]> {
  const got: number[] = [];
  while (got.length < 5) {
    await available.run(async () => {
      await available.waitFor(() => items.length > 0);
      got.push(items.shift()!);
    });
  }
  return got;
}

async function producer(): Promise<void> {
  for (let i = 1; i <= 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    await available.run(() => {
      items.push(i);
      available.notify();
    });
  }
}

let got: number[] = [];
const c = new Thread({ target: async () => (got = await consumer()) });
const p = new Thread({ target: producer });
c.start();
p.start();
await p.join();
await c.join();
console.log(`condition: consumer got ${got.join(", ")}`);
if (got.join() !== "1,2,3,4,5") throw new Error("items lost or out of order");

// With an Event: the consumer waits until the producer says the data is ready.
const ready = new Event();
let data = "";
const waiter = new Thread({
  target: async () => {
    if (!(await ready.wait({ timeout: 5_000 }))) throw new Error("the producer never said so");
    console.log(`event: consumer read "${data}"`);
  },
});
waiter.start();
data = "hello from the producer";
ready.set();
await waiter.join();
if (waiter.error) throw waiter.error;
