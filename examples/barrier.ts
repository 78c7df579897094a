/**
 * The Barrier of "Synchronization primitives in Python": four runners walk to the line, each at its own
 * pace, and wait there; when the fourth arrives the barrier's action fires the starting gun and all four go
 * at once. Then they run, and each takes its place at the finish under a Lock, so the places come out in
 * order; "Race over!" once every runner has been joined. Real worker threads (threadkit/threads); the
 * runner is ./barrier/runner.ts. The action stays with the Barrier's thread, here the main thread.
 */
import { Barrier, Lock, Thread } from "threadkit/threads";

const names = ["Harsh", "Lokesh", "George", "Iqbal"];
const b = new Barrier(names.length, {
  action: () => console.log("bang! all four at the line, they run (the barrier's action)"),
});
const finish = new Lock();
const places = new Int32Array(new SharedArrayBuffer(4 * (names.length + 1))); // [count, order of arrival]

console.log("Race starts now...");
const threads = names.map(
  (name, i) =>
    new Thread({
      target: new URL("./barrier/runner.js", import.meta.url),
      args: [b, finish, places, i, name],
      name,
    }),
);
for (const t of threads) t.start();
for (const t of threads) await t.join();
if (threads.some((t) => t.error !== undefined)) process.exit(1);

console.log("\nRace over!");
const podium = Array.from(places.subarray(1), (i) => names[i]);
console.log(`podium: ${podium.join(", ")}`);
