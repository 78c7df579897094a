/**
 * Worker threads and the main thread that all end up waiting forever, though not in a cycle of lock
 * holders ("bug"), or the same program without the bug ("fixed"):
 *   node --import tsx threads-stuck.ts <self|condition|queue|rlock-condition> <bug|fixed>
 * Every wait blocks (`...Sync`), the main thread's joins too. Prints "done"; exits 3 if a worker was told
 * DeadlockError (its Thread prints it), 1 if the main thread was and did not catch it.
 */
import { traceName } from "../../../src/diagnostics/index.ts";
import { Condition, Event, Lock, Queue, RLock, Thread } from "../../../src/threads/index.ts";

const [scenario, variant] = process.argv.slice(2);
const bug = variant === "bug";
const body = new URL("./threads-stuck-body.ts", import.meta.url);
const threads: Thread[] = [];

function started(name: string, role: string, ...args: unknown[]): Thread {
  const t = new Thread({ name, target: body, args: [role, ...args] });
  t.start();
  threads.push(t);
  return t;
}

const nap = new Int32Array(new SharedArrayBuffer(4));
/** Until someone waits on `p` (its FIFO holds a waiter). */
function untilWaiting(p: unknown): void {
  while ((p as { _core: { size: number } })._core.size === 0) Atomics.wait(nap, 0, 0, 5);
}

switch (scenario) {
  case "self": {
    const lock = new Lock();
    traceName(lock, "once");
    lock.acquireSync();
    if (!bug) lock.release();
    lock.acquireSync(); // the bug: the thread already holds it
    lock.release();
    break;
  }
  case "condition": {
    const cond = new Condition();
    traceName(cond, "ready");
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const waiter = started("waiter", "wait", cond, ready);
    untilWaiting(cond);
    cond.acquireSync();
    ready[0] = 1;
    if (!bug) cond.notify(); // the bug: the flag is set but nobody is told
    cond.release();
    waiter.joinSync();
    break;
  }
  case "queue": {
    const q = new Queue<number>();
    const producer = started("producer", "produce", q, 3);
    const consumer = started("consumer", "consume", q, bug ? 4 : 3); // the bug: one more get than puts
    producer.joinSync();
    consumer.joinSync();
    break;
  }
  case "rlock-condition": {
    const lock = new RLock();
    const cond = new Condition(lock);
    traceName(lock, "state");
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const finished = new Event();
    const waiter = started("waiter", "rlock-wait", cond, ready, finished);
    untilWaiting(cond);
    // The bug: the notifier keeps the RLock that the waiter must take back until the waiter has finished.
    const notifier = started("notifier", "notify", cond, ready, finished, !bug);
    notifier.joinSync();
    waiter.joinSync();
    break;
  }
  default:
    throw new Error(`no scenario ${scenario}`);
}
console.log("done");
if (threads.some((t) => (t.error as { code?: string } | undefined)?.code === "ERR_DEADLOCK")) {
  process.exitCode = 3;
}
