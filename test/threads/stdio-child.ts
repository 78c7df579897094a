/**
 * Run as a child process by stdio.test.ts: two Threads and the main thread print rounds of three lines under
 * one Lock (./targets/printer.ts), then the main thread prints "joined NAME" after each join. argv[2]:
 * "lines" (30 rounds each), "stderr" (the middle line of each round on stderr), "nested" (each Thread prints
 * from a thread of its own), "captured" (the main thread's stdout.write is replaced), "big" (2,000 rounds).
 */
import { Lock, Thread } from "../../src/threads/index.ts";

const mode = process.argv[2] ?? "lines";
if (mode === "captured") {
  const write = process.stdout.write.bind(process.stdout) as (chunk: string) => boolean;
  process.stdout.write = ((chunk: string) => write(`captured: ${chunk}`)) as typeof process.stdout.write;
}
const rounds = mode === "big" ? 2_000 : 30;
const toStderr = mode === "stderr";
const lock = new Lock();
const round = new Int32Array(new SharedArrayBuffer(4));
const target = new URL("./targets/printer.ts", import.meta.url);
const threads = ["T1", "T2"].map(
  (name) =>
    new Thread({
      target,
      export: mode === "nested" ? "nested" : "default",
      args: [lock, round, rounds, toStderr],
      name,
    }),
);
for (const t of threads) t.start();
for (let i = 0; i < rounds; i++) {
  await lock.acquire();
  const k = Atomics.add(round, 0, 1);
  console.log(`${k} acquired by main`);
  if (toStderr) console.error(`${k} written by main`);
  else console.log(`${k} written by main`);
  console.log(`${k} released by main`);
  lock.release();
}
for (const t of threads) {
  await t.join();
  console.log(`joined ${t.name}`);
}
