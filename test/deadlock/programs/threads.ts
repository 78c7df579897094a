/**
 * Worker threads that take two locks, in opposite orders ("bug") or in one order ("fixed"):
 *   node --import tsx threads.ts <lock|rlock|mixed> <bug|fixed>
 * "mixed": a Lock ("a") and an RLock ("b"). Prints "done"; exits 3 if a worker was told DeadlockError.
 */
import { traceName } from "../../../src/diagnostics/index.ts";
import { Lock, RLock, Thread } from "../../../src/threads/index.ts";

const [kind, variant] = process.argv.slice(2);
const bug = variant === "bug";
const a = kind === "rlock" ? new RLock() : new Lock();
const b = kind === "lock" ? new Lock() : new RLock();
traceName(a, "a");
traceName(b, "b");
const told = new Int32Array(new SharedArrayBuffer(8));
const body = new URL("./threads-body.ts", import.meta.url);
const left = new Thread({ name: "left", target: body, args: [a, b, told, bug] });
left.start();
const right = new Thread({
  name: "right",
  target: body,
  args: bug ? [b, a, told, true] : [a, b, told, false],
});
right.start();
await left.join();
await right.join();
console.log("done");
if (told[0] !== 0) process.exitCode = 3;
