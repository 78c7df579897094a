/**
 * Programs on one event loop, each with a deadlock ("bug") or without it ("fixed"):
 *   node --import tsx local.ts <scenario> <bug|fixed>
 * A fixed program prints "done" and exits 0; a deadlocked one ends with DeadlockError's report.
 */
import { traceName } from "../../../src/diagnostics/index.ts";
import { Condition, DeadlockError, Event, Lock, Queue, RLock, Thread } from "../../../src/index.ts";

const [scenario, variant] = process.argv.slice(2);
const bug = variant === "bug";
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

async function twoLocks(): Promise<void> {
  const a = new Lock();
  const b = new Lock();
  traceName(a, "a");
  traceName(b, "b");
  const take = async (first: Lock, second: Lock) => {
    await first.acquire();
    await tick(); // both hold their first lock before either asks for its second
    await second.acquire();
    second.release();
    first.release();
  };
  const left = new Thread({ name: "left", target: () => take(a, b) });
  const right = new Thread({ name: "right", target: () => (bug ? take(b, a) : take(a, b)) });
  left.start();
  right.start();
  await left.join();
  await right.join();
}

/** The same cycle while the process has other work (an interval, as a server would): told in bounded time. */
async function busy(kind: "lock" | "rlock"): Promise<void> {
  const server = setInterval(() => {}, 50);
  const a = kind === "lock" ? new Lock() : new RLock();
  const b = kind === "lock" ? new Lock() : new RLock();
  traceName(a, "a");
  traceName(b, "b");
  const told: string[] = [];
  const take = async (first: Lock | RLock, second: Lock | RLock) => {
    await first.run(async () => {
      await tick();
      try {
        await second.run(() => {});
      } catch (error) {
        if (!(error instanceof DeadlockError)) throw error;
        told.push(error.message);
      }
    });
  };
  const left = new Thread({ name: "left", target: () => take(a, b) });
  const right = new Thread({ name: "right", target: () => (bug ? take(b, a) : take(a, b)) });
  left.start();
  right.start();
  await left.join();
  await right.join();
  clearInterval(server);
  if (told.length > 0) {
    console.error(told.join("\n"));
    process.exitCode = 3;
  }
}

async function self(): Promise<void> {
  const lock = new Lock();
  traceName(lock, "once");
  await lock.acquire();
  if (!bug) lock.release();
  await lock.acquire();
  lock.release();
}

/**
 * Who holds a Lock: taken by the main thread before any Thread started (when nothing is looked up), and
 * handed by a release to a Thread's waiter. The main thread then waits for the one, the Thread for the other.
 */
async function holders(): Promise<void> {
  const gate = new Lock();
  const baton = new Lock();
  traceName(gate, "gate");
  traceName(baton, "baton");
  await gate.acquire();
  await baton.acquire();
  const runner = new Thread({
    name: "runner",
    target: async () => {
      await baton.acquire();
      await gate.acquire();
      gate.release();
      baton.release();
    },
  });
  runner.start();
  await tick(); // the runner waits for the baton
  baton.release(); // and is handed it
  await tick(); // and waits for the gate
  if (!bug) gate.release();
  await baton.acquire();
  baton.release();
  await runner.join();
}

async function condition(): Promise<void> {
  const cond = new Condition();
  traceName(cond, "ready");
  let ready = false;
  const waiter = new Thread({
    name: "waiter",
    target: async () => {
      await cond.acquire();
      while (!ready) await cond.wait();
      cond.release();
    },
  });
  waiter.start();
  await tick();
  await cond.acquire();
  ready = true;
  if (!bug) cond.notify(); // the bug: the flag is set but nobody is told
  cond.release();
  await waiter.join();
}

async function queue(): Promise<void> {
  const q = new Queue<number>();
  traceName(q, "jobs");
  const producer = new Thread({
    name: "producer",
    target: async () => {
      for (let i = 0; i < 3; i++) await q.put(i);
    },
  });
  const consumer = new Thread({
    name: "consumer",
    target: async () => {
      for (let i = 0; i < (bug ? 4 : 3); i++) await q.get(); // the bug: one more get than puts
    },
  });
  producer.start();
  consumer.start();
  await producer.join();
  await consumer.join();
}

async function rlockCondition(): Promise<void> {
  const lock = new RLock();
  const cond = new Condition(lock);
  traceName(lock, "state");
  let ready = false;
  const waiter = new Thread({
    name: "waiter",
    target: async () => {
      await lock.acquire();
      await lock.acquire(); // depth 2: the wait lets go of both and takes both back
      while (!ready) await cond.wait();
      lock.release();
      lock.release();
    },
  });
  const notifier = new Thread({
    name: "notifier",
    target: async () => {
      await tick();
      await cond.acquire();
      ready = true;
      cond.notify();
      if (!bug) cond.release(); // the bug: the notifier ends holding the lock the waiter must take back
    },
  });
  waiter.start();
  notifier.start();
  await waiter.join();
  await notifier.join();
}

/** No false alarms: a daemon waiting forever, and a wait with a timeout. */
async function daemonAndTimeout(): Promise<void> {
  const never = new Event();
  const daemon = new Thread({ name: "watcher", daemon: true, target: () => never.wait() });
  daemon.start();
  const lock = new Lock();
  await lock.acquire();
  if (!(await lock.acquire({ timeout: 100 })) && bug) await lock.acquire(); // bug: then without one
}

const scenarios: Record<string, () => Promise<void>> = {
  "two-locks": twoLocks,
  "busy-lock": () => busy("lock"),
  "busy-rlock": () => busy("rlock"),
  self,
  holders,
  condition,
  queue,
  "rlock-condition": rlockCondition,
  "daemon-timeout": daemonAndTimeout,
};

await scenarios[scenario!]!();
console.log("done");
