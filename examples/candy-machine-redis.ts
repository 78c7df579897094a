/**
 * ./candy-machine.ts across processes, on the Redis tier (threadkit/redis): the vendor and two buyers are
 * child processes of this one, sharing the tray (a BoundedSemaphore(5)) and the lock by name on one
 * redis-server: REDIS_URL's, or one this program starts on a loopback port and stops at the end. Two rounds:
 * without the lock around each line's prints, then with it; each opens when all four processes are at a
 * Barrier, and each process puts its tally on a Queue when it is done. The tray keeps count either way, and
 * refuses a refill past 5 ("full, skipping": ValueError); without the lock, the lines of two processes can
 * mix. A bar bought is a permit the buyer's process holds; the vendor's release() takes back the one held
 * longest, as Python's release() by any thread does. The bodies: ./candy-machine-redis/machine.ts.
 */
import { randomUUID } from "node:crypto";
import { Barrier, BoundedSemaphore, Queue } from "threadkit/redis";
import type { Tally } from "./candy-machine-redis/machine.ts";
import { withRedis } from "./redis/processes.ts";

const MAX = 5;
const machine = new URL("./candy-machine-redis/machine.js", import.meta.url);
const times = (n: number) => (n === 0 ? "never" : n === 1 ? "once" : `${n} times`);
const randrange = (a: number, b: number) => a + Math.floor(Math.random() * (b - a));
const now = () => new Date().toTimeString().slice(0, 8);

await withRedis(async (start) => {
  const names = `candy-machine:${randomUUID()}`; // new primitives for each run, also on a shared server
  const open = new Barrier(4, { name: `${names}:open` }); // the vendor, two buyers and this process
  const tallies = new Queue<Tally>(0, { name: `${names}:tallies` });
  const rounds = [false, true]; // locked?
  const nloops = rounds.map(() => randrange(2, 6));
  const buys = () => nloops.map((n) => String(randrange(n, n + MAX + 2)));
  const processes = Promise.all([
    start("vendor", machine, ["vendor", names, String(MAX), ...nloops.map(String)]),
    start("buyer-1", machine, ["buyer", names, String(MAX), ...buys()]),
    start("buyer-2", machine, ["buyer", names, String(MAX), ...buys()]),
  ]);

  for (const [round, locked] of rounds.entries()) {
    console.log(`--- ${locked ? "with" : "without"} the lock around the prints`);
    console.log(`starting at: ${now()}`);
    const candytray = new BoundedSemaphore(MAX, { name: `${names}:${round}:tray` });
    console.log(`THE CANDY MACHINE (full with ${MAX} bars)!`);
    await open.wait(); // the machine opens once everyone is there (a process takes a moment to start)
    const done = [await tallies.get(), await tallies.get(), await tallies.get()];

    const sum = (key: keyof Tally) => done.reduce((n, t) => n + t[key], 0);
    const [refilled, full, bought, empty] = [sum("refilled"), sum("full"), sum("bought"), sum("empty")];
    const left = await candytray.value;
    console.log(`all DONE at: ${now()}`);
    console.log(
      `${refilled} refilled (${times(full)} full), ${bought} bought (${times(empty)} empty): ` +
        `${MAX} + ${refilled} - ${bought} = ${left} ${left === 1 ? "bar" : "bars"} left\n`,
    );
    if (MAX + refilled - bought !== left) throw new Error("the tray lost count");
  }
  await processes;
});
