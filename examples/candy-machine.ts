/**
 * The candy machine of Wesley Chun's book, as asked about on Stack Overflow ("is it necessary to lock for
 * refill() and buy()?"): a BoundedSemaphore(5) is the tray; a vendor thread refills it (an over-release
 * raises ValueError: "full, skipping"), buyer threads buy without waiting ("empty, skipping"). Each prints
 * the start of its line, does its part, then the end of it. Run twice: without the lock around those prints,
 * then with it. The tray keeps count either way (a semaphore needs no lock); without the lock, the lines of
 * two threads can mix ("Refilling candy... Buying candy... OK"), which is what the lock is for. Real worker
 * threads (threadkit/threads); the bodies are ./candy-machine/machine.ts.
 */
import { Barrier, BoundedSemaphore, Lock, Thread } from "threadkit/threads";

const MAX = 5;
const machine = new URL("./candy-machine/machine.js", import.meta.url);
const times = (n: number) => (n === 0 ? "never" : n === 1 ? "once" : `${n} times`);
const randrange = (a: number, b: number) => a + Math.floor(Math.random() * (b - a));

for (const locked of [false, true]) {
  console.log(`--- ${locked ? "with" : "without"} the lock around the prints`);
  console.log(`starting at: ${new Date().toTimeString().slice(0, 8)}`);
  const candytray = new BoundedSemaphore(MAX);
  const lock = new Lock();
  const open = new Barrier(3);
  const tally = new Int32Array(new SharedArrayBuffer(16)); // refilled, full, bought, empty
  const nloops = randrange(2, 6);
  console.log(`THE CANDY MACHINE (full with ${MAX} bars)!`);
  const threads = [
    new Thread({
      target: machine,
      export: "vendor",
      args: [candytray, lock, locked, tally, nloops, open],
      name: "vendor",
    }),
    ...[1, 2].map(
      (i) =>
        new Thread({
          target: machine,
          export: "buyer",
          args: [candytray, lock, locked, tally, randrange(nloops, nloops + MAX + 2), open],
          name: `buyer-${i}`,
        }),
    ),
  ];
  for (const t of threads) t.start();
  for (const t of threads) await t.join();
  if (threads.some((t) => t.error !== undefined)) process.exit(1);

  const [refilled = 0, full = 0, bought = 0, empty = 0] = tally;
  console.log(`all DONE at: ${new Date().toTimeString().slice(0, 8)}`);
  console.log(
    `${refilled} refilled (${times(full)} full), ${bought} bought (${times(empty)} empty): ` +
      `${MAX} + ${refilled} - ${bought} = ${candytray.value} ${candytray.value === 1 ? "bar" : "bars"} left\n`,
  );
  if (MAX + refilled - bought !== candytray.value) throw new Error("the tray lost count");
}
