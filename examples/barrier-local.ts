/**
 * ./barrier.ts on one event loop (threadkit): the four runners are async tasks, their pauses are timers, and
 * the same Barrier (whose action fires the gun) and Lock (places in order) do the same work.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Barrier, Lock, Thread } from "threadkit";

const names = ["Harsh", "Lokesh", "George", "Iqbal"];
const b = new Barrier(names.length, {
  action: () => console.log("bang! all four at the line, they run (the barrier's action)"),
});
const finish = new Lock();
const podium: string[] = [];
const time = () => new Date().toISOString().slice(11, 23);
const ordinal = (n: number) => `${n}${["st", "nd", "rd"][n - 1] ?? "th"}`;

async function runner(name: string): Promise<void> {
  await sleep(50 + Math.random() * 200); // Python: sleep(randrange(2, 5))
  console.log(`${name} reached the barrier at: ${time()}`);
  await b.wait();
  await sleep(50 + Math.random() * 200); // the race
  await finish.run(() => {
    podium.push(name);
    console.log(`${name} finished ${ordinal(podium.length)} at: ${time()}`);
  });
}

console.log("Race starts now...");
const threads = names.map((name) => new Thread({ target: runner, args: [name], name }));
for (const t of threads) t.start();
for (const t of threads) await t.join();
if (threads.some((t) => t.error !== undefined)) process.exit(1);

console.log("\nRace over!");
console.log(`podium: ${podium.join(", ")}`);
