/**
 * Runners meet at a Barrier, as in the Python tutorial: nobody starts before all are at the line, and the
 * last to arrive fires the starting gun (the barrier's action).
 */
import { Barrier, Thread } from "threadkit";

const runners = ["Huey", "Dewey", "Louie"];
const finish: string[] = [];
const start = new Barrier(runners.length, { action: () => console.log("bang! (the gun fires once)") });

async function runner(name: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 30)); // walking to the line
  const index = await start.wait();
  console.log(`${name} was at the line ${index + 1}${["st", "nd", "rd"][index]}`);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 30)); // running
  finish.push(name);
}

const threads = runners.map((name) => new Thread({ target: runner, args: [name], name }));
for (const t of threads) t.start();
for (const t of threads) await t.join();
console.log(`finish: ${finish.join(", ")}`);
if (finish.length !== runners.length) throw new Error("a runner is missing");
