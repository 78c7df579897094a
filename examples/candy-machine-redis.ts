/**
 * ./candy-machine.ts across processes, on the Redis tier (threadkit/redis): the vendor and two buyers are
 * child processes of this one, sharing the tray (a BoundedSemaphore(5)), the lock and the machine's opening
 * (a Barrier of three) by name on one redis-server: REDIS_URL's, or one this program starts on a loopback
 * port and stops at the end. Run twice: without the lock around each line's prints, then with it. The tray
 * keeps count either way, and refuses a refill past 5 ("full, skipping": ValueError); without the lock, the
 * lines of two processes can mix. A bar bought is a permit the buyer's process holds; the vendor's release()
 * takes back the one held longest, as Python's release() by any thread does. The bodies:
 * ./candy-machine-redis/machine.ts.
 */
import { randomUUID } from "node:crypto";
import { BoundedSemaphore } from "threadkit/redis";
import type { Tally } from "./candy-machine-redis/machine.ts";
import { withRedis } from "./redis/processes.ts";

const MAX = 5;
const machine = new URL("./candy-machine-redis/machine.js", import.meta.url);
const times = (n: number) => (n === 0 ? "never" : n === 1 ? "once" : `${n} times`);
const randrange = (a: number, b: number) => a + Math.floor(Math.random() * (b - a));

await withRedis(async (start) => {
  for (const locked of [false, true]) {
    console.log(`--- ${locked ? "with" : "without"} the lock around the prints`);
    console.log(`starting at: ${new Date().toTimeString().slice(0, 8)}`);
    const names = `candy-machine:${randomUUID()}`; // new primitives for each run, also on a shared server
    const candytray = new BoundedSemaphore(MAX, { name: `${names}:tray` });
    const nloops = randrange(2, 6);
    console.log(`THE CANDY MACHINE (full with ${MAX} bars)!`);
    const args = (role: string, loops: number) => [role, names, String(MAX), String(locked), String(loops)];
    const tallies = await Promise.all([
      start<Tally>("vendor", machine, args("vendor", nloops)),
      ...[1, 2].map((i) =>
        start<Tally>(`buyer-${i}`, machine, args("buyer", randrange(nloops, nloops + MAX + 2))),
      ),
    ]);

    const sum = (key: keyof Tally) => tallies.reduce((n, t) => n + t[key], 0);
    const [refilled, full, bought, empty] = [sum("refilled"), sum("full"), sum("bought"), sum("empty")];
    const left = await candytray.value;
    console.log(`all DONE at: ${new Date().toTimeString().slice(0, 8)}`);
    console.log(
      `${refilled} refilled (${times(full)} full), ${bought} bought (${times(empty)} empty): ` +
        `${MAX} + ${refilled} - ${bought} = ${left} ${left === 1 ? "bar" : "bars"} left\n`,
    );
    if (MAX + refilled - bought !== left) throw new Error("the tray lost count");
  }
});
