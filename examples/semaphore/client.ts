/** A client thread of ../semaphore.ts: `requests` requests, each on one of the server's connections. */
import { setTimeout as sleep } from "node:timers/promises";
import { currentThread, type Semaphore } from "threadkit/threads";

export default async function client(
  connections: Semaphore,
  inUse: Int32Array,
  requests: number,
): Promise<void> {
  const me = currentThread().name;
  for (let i = 0; i < requests; i++) {
    if (connections.value === 0) console.log(`${me} waits: both connections in use`);
    using _connection = await connections.hold(); // Python: with semaphore:
    const now = Atomics.add(inUse, 0, 1) + 1;
    for (let most = Atomics.load(inUse, 1); now > most; most = Atomics.load(inUse, 1)) {
      Atomics.compareExchange(inUse, 1, most, now); // a new most, unless another thread set one first
    }
    console.log(`${me} connected (${now} of 2 in use)`);
    await sleep(40 + Math.random() * 40); // the request
    Atomics.sub(inUse, 0, 1);
    console.log(`${me} disconnected`);
  }
}
