/** Thread, Timer and the module functions of the local tier: named tasks on one event loop. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  activeCount,
  currentThread,
  Event,
  enumerate,
  mainThread,
  RuntimeError,
  Thread,
  Timer,
} from "../../src/index.ts";
import { isPending, rejectsWith, throwsWith, within } from "../helpers.ts";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const settle = async () => {
  for (let i = 0; i < 5; i++) await turn();
};

/** The N of an automatic "Thread-N" or "Thread-N (fn)" name. */
function counterOf(name: string): number {
  const match = /^Thread-(\d+)(?: \(.*\))?$/.exec(name);
  assert.ok(match, `an automatic name: ${name}`);
  return Number(match[1]);
}

describe("the main thread", () => {
  it("is what currentThread() returns outside any Thread, named MainThread, alive and not a daemon", () => {
    const main = mainThread();
    assert.equal(currentThread(), main);
    assert.equal(mainThread(), main, "always the same object");
    assert.equal(main.name, "MainThread");
    assert.equal(main.isAlive(), true);
    assert.equal(main.daemon, false);
    assert.equal(typeof main.ident, "number");
  });

  it("is still the current thread in timers and promise callbacks started outside any Thread", async () => {
    const seen = await new Promise<Thread>((resolve) => setTimeout(() => resolve(currentThread()), 0));
    assert.equal(seen, mainThread());
    assert.equal(await Promise.resolve().then(() => currentThread()), mainThread());
  });

  it("cannot join itself: RuntimeError('cannot join current thread')", async () => {
    await within(
      rejectsWith(mainThread().join(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "cannot join current thread",
      }),
    );
  });
});

describe("Thread", () => {
  it("runs its target with the args and join() resolves true once it has finished", async () => {
    const calls: unknown[][] = [];
    const thread = new Thread({
      target: (...args: unknown[]) => {
        calls.push(args);
      },
      args: [1, "two", { three: 3 }],
    });
    thread.start();
    assert.equal(await within(thread.join()), true);
    assert.deepEqual(calls, [[1, "two", { three: 3 }]]);
  });

  it("awaits an async target: join() resolves only once the target's promise has settled", async () => {
    const gate = new Event();
    let finished = false;
    const thread = new Thread({
      target: async () => {
        await gate.wait();
        finished = true;
      },
    });
    thread.start();
    const joined = thread.join();
    assert.equal(await isPending(joined, settle), true);
    assert.equal(thread.isAlive(), true);
    gate.set();
    assert.equal(await within(joined), true);
    assert.equal(finished, true);
  });

  it("currentThread() inside it is the Thread, across awaits, timers and promise chains", async () => {
    const seen: Thread[] = [];
    const thread = new Thread({
      target: async () => {
        seen.push(currentThread());
        await Promise.resolve();
        seen.push(currentThread());
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.push(currentThread());
            resolve();
          }, 1),
        );
        await new Promise<void>((resolve) => setImmediate(resolve));
        seen.push(currentThread());
        await Promise.resolve()
          .then(() => seen.push(currentThread()))
          .then(() => seen.push(currentThread()));
      },
    });
    thread.start();
    await within(thread.join());
    assert.equal(seen.length, 6);
    for (const who of seen) assert.equal(who, thread);
    assert.equal(currentThread(), mainThread(), "the caller is still the main thread");
  });

  it("two interleaved Threads each see themselves as the current thread", async () => {
    const ping = new Event();
    const pong = new Event();
    const seenByA: Thread[] = [];
    const seenByB: Thread[] = [];
    const a = new Thread({
      target: async () => {
        seenByA.push(currentThread());
        ping.set();
        await pong.wait();
        seenByA.push(currentThread());
      },
    });
    const b = new Thread({
      target: async () => {
        await ping.wait();
        seenByB.push(currentThread());
        pong.set();
        await Promise.resolve();
        seenByB.push(currentThread());
      },
    });
    b.start();
    a.start();
    await within(Promise.all([a.join(), b.join()]));
    assert.deepEqual(seenByA, [a, a]);
    assert.deepEqual(seenByB, [b, b]);
  });

  it("is named 'Thread-N (fn)' after a named target, 'Thread-N' without one, or the name given", () => {
    function work(): void {}
    const named = new Thread({ target: work });
    const n = counterOf(named.name);
    assert.equal(named.name, `Thread-${n} (work)`);
    const bare = new Thread();
    assert.equal(bare.name, `Thread-${n + 1}`, "the counter grows by one per automatic name");
    const anonymous = new Thread({ target: [() => {}][0] });
    assert.equal(anonymous.name, `Thread-${n + 2}`, "an anonymous target adds no suffix");
    assert.equal(new Thread({ target: work, name: "worker" }).name, "worker", "a given name wins");
    assert.equal(new Thread({ name: "" }).name, `Thread-${n + 3}`, "an empty name is automatic");
    const renamed = new Thread({ name: "before" });
    renamed.name = "after";
    assert.equal(renamed.name, "after");
  });

  it("start() twice throws RuntimeError('threads can only be started once'), also after it finished", async () => {
    let runs = 0;
    const thread = new Thread({
      target: () => {
        runs++;
      },
    });
    thread.start();
    await throwsWith(() => thread.start(), RuntimeError, {
      code: "ERR_RUNTIME",
      message: "threads can only be started once",
    });
    await within(thread.join());
    await throwsWith(() => thread.start(), RuntimeError, { message: "threads can only be started once" });
    assert.equal(runs, 1);
  });

  it("join() before start() rejects with RuntimeError('cannot join thread before it is started')", async () => {
    const thread = new Thread({ target: () => {} });
    await within(
      rejectsWith(thread.join(), RuntimeError, {
        code: "ERR_RUNTIME",
        message: "cannot join thread before it is started",
      }),
    );
    await within(rejectsWith(thread.join({ timeout: 0 }), RuntimeError));
    assert.equal(thread.isAlive(), false);
  });

  it("a Thread joining itself gets RuntimeError('cannot join current thread')", async () => {
    const errors: unknown[] = [];
    const probe = new Thread({
      target: async () => {
        await currentThread()
          .join()
          .catch((error: unknown) => errors.push(error));
        await probe.join({ timeout: 10 }).catch((error: unknown) => errors.push(error));
      },
    });
    probe.start();
    await within(probe.join());
    assert.equal(errors.length, 2);
    for (const error of errors) {
      assert.ok(error instanceof RuntimeError, `a RuntimeError: ${String(error)}`);
      assert.equal(error.message, "cannot join current thread");
    }
  });

  it("join({ timeout }) resolves false while the thread runs and true once it is done", async () => {
    const gate = new Event();
    const thread = new Thread({ target: () => gate.wait() });
    thread.start();
    assert.equal(await within(thread.join({ timeout: 20 })), false);
    assert.equal(await within(thread.join({ timeout: 0 })), false);
    assert.equal(await within(thread.join({ blocking: false })), false);
    assert.equal(thread.isAlive(), true);
    gate.set();
    assert.equal(await within(thread.join({ timeout: 60_000 })), true);
    assert.equal(await within(thread.join({ timeout: 0 })), true);
  });

  it("can be joined many times, and from many threads at once", async () => {
    const gate = new Event();
    const thread = new Thread({ target: () => gate.wait() });
    thread.start();
    const joiners = Array.from({ length: 3 }, () => {
      const joiner = new Thread({
        target: async () => {
          await thread.join();
        },
      });
      joiner.start();
      return joiner;
    });
    const direct = [thread.join(), thread.join()];
    await settle();
    for (const joiner of joiners) assert.equal(joiner.isAlive(), true, "the joiners wait");
    for (const join of direct) assert.equal(await isPending(join, settle), true);
    gate.set();
    assert.deepEqual(await within(Promise.all(direct)), [true, true]);
    assert.deepEqual(await within(Promise.all(joiners.map((joiner) => joiner.join()))), [true, true, true]);
    assert.equal(await within(thread.join()), true);
    assert.equal(await within(thread.join()), true);
  });

  it("rejects bad join options with TypeError/RangeError", async () => {
    const thread = new Thread({ target: () => {} });
    thread.start();
    await within(rejectsWith(thread.join({ timeout: -1 }), RangeError));
    await within(rejectsWith(thread.join({ timeout: "5" as never }), TypeError));
    assert.equal(await within(thread.join()), true);
  });

  it("join() with an aborted signal rejects with the reason, and the thread runs on", async () => {
    const gate = new Event();
    const thread = new Thread({ target: () => gate.wait() });
    thread.start();
    const controller = new AbortController();
    const reason = new Error("stop waiting");
    const joined = thread.join({ signal: controller.signal });
    assert.equal(await isPending(joined, settle), true);
    controller.abort(reason);
    assert.equal(await within(rejectsWith(joined, Error)), reason);
    assert.equal(thread.isAlive(), true);
    gate.set();
    assert.equal(await within(thread.join()), true);
  });

  it("isAlive() is false before start(), true from start() until the target ends, false after", async () => {
    const gate = new Event();
    const thread = new Thread({ target: () => gate.wait() });
    assert.equal(thread.isAlive(), false);
    thread.start();
    assert.equal(thread.isAlive(), true, "alive as soon as start() returns");
    await settle();
    assert.equal(thread.isAlive(), true);
    gate.set();
    await within(thread.join());
    assert.equal(thread.isAlive(), false);
  });

  it("ident is null before start(), then a number unique among threads, kept after the end", async () => {
    const a = new Thread({ target: () => {} });
    const b = new Thread({ target: () => {} });
    assert.equal(a.ident, null);
    a.start();
    b.start();
    assert.equal(typeof a.ident, "number");
    assert.equal(typeof b.ident, "number");
    assert.notEqual(a.ident, b.ident);
    assert.notEqual(a.ident, mainThread().ident);
    const ident = a.ident;
    await within(Promise.all([a.join(), b.join()]));
    assert.equal(a.ident, ident);
  });

  it("daemon is inherited from the creating thread unless given", async () => {
    assert.equal(new Thread().daemon, false, "the main thread is not a daemon");
    assert.equal(new Thread({ daemon: true }).daemon, true);
    const created: Thread[] = [];
    const daemon = new Thread({
      daemon: true,
      target: () => {
        created.push(new Thread(), new Thread({ daemon: false }));
      },
    });
    const plain = new Thread({
      daemon: false,
      target: () => {
        created.push(new Thread());
      },
    });
    daemon.start();
    plain.start();
    await within(Promise.all([daemon.join(), plain.join()]));
    assert.deepEqual(
      created.map((thread) => thread.daemon),
      [true, false, false],
    );
  });

  it("daemon can be set before start(); after it, RuntimeError and no change", async () => {
    const thread = new Thread({ target: () => {} });
    thread.daemon = true;
    assert.equal(thread.daemon, true);
    thread.daemon = false;
    thread.start();
    await throwsWith(
      () => {
        thread.daemon = true;
      },
      RuntimeError,
      { code: "ERR_RUNTIME", message: "cannot set daemon status of active thread" },
    );
    assert.equal(thread.daemon, false);
    await within(thread.join());
    await throwsWith(() => {
      thread.daemon = true;
    }, RuntimeError);
    assert.equal(thread.daemon, false);
  });

  it("rejects a target that is not a function, args that are not an array, a non-boolean daemon", () => {
    assert.throws(() => new Thread({ target: "run" as never }), TypeError);
    assert.throws(() => new Thread({ target: () => {}, args: "a" as never }), TypeError);
    assert.throws(() => new Thread({ daemon: "yes" as never }), TypeError);
  });

  it("a target that throws: reported to stderr as 'Exception in thread NAME:', kept as error; join() resolves true", async (t) => {
    const report = t.mock.method(console, "error", () => {});
    const boom = new Error("sync boom");
    const thread = new Thread({
      name: "crasher",
      target: () => {
        throw boom;
      },
    });
    assert.equal(thread.error, undefined);
    thread.start();
    assert.equal(await within(thread.join()), true);
    assert.equal(thread.error, boom);
    assert.equal(thread.isAlive(), false);
    assert.equal(report.mock.callCount(), 1);
    const text = String(report.mock.calls[0]!.arguments.join(" "));
    assert.match(text, /^Exception in thread crasher:/);
    assert.match(text, /sync boom/);
  });

  it("a target whose promise rejects is reported the same way, and the error kept", async (t) => {
    const report = t.mock.method(console, "error", () => {});
    const boom = new Error("async boom");
    const thread = new Thread({
      target: async () => {
        await Promise.resolve();
        throw boom;
      },
    });
    thread.start();
    assert.equal(await within(thread.join()), true);
    assert.equal(thread.error, boom);
    assert.equal(report.mock.callCount(), 1);
    const text = String(report.mock.calls[0]!.arguments.join(" "));
    assert.ok(text.startsWith(`Exception in thread ${thread.name}:`), text);
    assert.match(text, /async boom/);
  });

  it("a target that throws a value that will not become a string is still reported, and nothing else fails", async (t) => {
    const report = t.mock.method(console, "error", () => {});
    const unprintable = [
      Object.create(null),
      {
        toString() {
          throw new Error("no string for you");
        },
      },
    ];
    for (const value of unprintable) {
      const thread = new Thread({
        name: "odd",
        target: () => {
          throw value;
        },
      });
      thread.start();
      assert.equal(await within(thread.join()), true);
      assert.equal(thread.error, value);
    }
    assert.equal(report.mock.callCount(), 2);
    for (const call of report.mock.calls) {
      assert.equal(
        call.arguments.join(" "),
        "Exception in thread odd:\n<a thrown object that cannot be shown>",
      );
    }
  });

  it("toString is Python's repr: the status word, then daemon, then the ident", async () => {
    const thread = new Thread({ name: "d", daemon: true, target: () => {} });
    assert.equal(String(thread), "<Thread(d, initial daemon)>");
    thread.start();
    assert.equal(String(thread), `<Thread(d, started daemon ${thread.ident})>`);
    assert.equal(await within(thread.join()), true);
    assert.equal(String(thread), `<Thread(d, stopped daemon ${thread.ident})>`);
    assert.equal(String(new Thread({ name: "n" })), "<Thread(n, initial)>");
  });

  it("a target that ends normally reports nothing and has no error", async (t) => {
    const report = t.mock.method(console, "error", () => {});
    const thread = new Thread({ target: async () => 42 });
    thread.start();
    assert.equal(await within(thread.join()), true);
    assert.equal(thread.error, undefined);
    assert.equal(report.mock.callCount(), 0);
  });

  it("a subclass may override run(); it runs as the thread, sync or async", async () => {
    class Worker extends Thread {
      ranAs: Thread | undefined;
      result = 0;
      override async run(): Promise<void> {
        await Promise.resolve();
        this.ranAs = currentThread();
        this.result = 42;
      }
    }
    const worker = new Worker({ name: "worker" });
    worker.start();
    assert.equal(await within(worker.join()), true);
    assert.equal(worker.ranAs, worker);
    assert.equal(worker.result, 42);
    assert.equal(worker.name, "worker");
  });
});

describe("activeCount() and enumerate()", () => {
  it("count the main thread and every started, unfinished Thread, and drop finished ones", async () => {
    const before = enumerate();
    assert.ok(before.includes(mainThread()), "the main thread is listed");
    assert.equal(activeCount(), before.length);
    const gate = new Event();
    const running = new Thread({ target: () => gate.wait() });
    const unstarted = new Thread({ target: () => {} });
    running.start();
    assert.equal(activeCount(), before.length + 1);
    const during = enumerate();
    assert.ok(during.includes(running), "a running thread is listed");
    assert.ok(during.includes(mainThread()), "the main thread is listed");
    assert.ok(!during.includes(unstarted), "a thread not started is not alive");
    gate.set();
    await within(running.join());
    assert.equal(activeCount(), before.length);
    assert.ok(!enumerate().includes(running), "a finished thread is dropped");
  });

  it("list a thread that ended with an error no longer", async (t) => {
    t.mock.method(console, "error", () => {});
    const thread = new Thread({
      target: () => {
        throw new Error("boom");
      },
    });
    thread.start();
    await within(thread.join());
    assert.ok(!enumerate().includes(thread), "the finished thread is dropped");
  });

  it("return a fresh array each time", () => {
    const list = enumerate();
    list.length = 0;
    assert.ok(enumerate().includes(mainThread()), "the list kept by the caller is a copy");
  });
});

describe("Timer", () => {
  it("calls the function with the args after the interval", async () => {
    const calls: unknown[][] = [];
    let elapsed = -1;
    const started = Date.now();
    const timer = new Timer(
      50,
      (...args: unknown[]) => {
        elapsed = Date.now() - started;
        calls.push(args);
      },
      [1, "two"],
    );
    timer.start();
    assert.equal(await within(timer.join()), true);
    assert.deepEqual(calls, [[1, "two"]]);
    assert.ok(elapsed >= 45, `fired after about the interval (${elapsed} ms)`);
    assert.equal(timer.finished.isSet(), true);
  });

  it("has not fired before the interval has passed", async () => {
    let called = false;
    const timer = new Timer(60_000, () => {
      called = true;
    });
    timer.start();
    await settle();
    assert.equal(called, false);
    assert.equal(timer.isAlive(), true);
    timer.cancel();
    await within(timer.join());
  });

  it("cancel() before it fires prevents the call, and the timer ends at once", async () => {
    let called = false;
    const timer = new Timer(60_000, () => {
      called = true;
    });
    timer.start();
    await settle();
    timer.cancel();
    assert.equal(await within(timer.join(), 5_000), true);
    assert.equal(called, false);
    assert.equal(timer.isAlive(), false);
  });

  it("cancel() before start() prevents the call too", async () => {
    let called = false;
    const timer = new Timer(0, () => {
      called = true;
    });
    timer.cancel();
    timer.start();
    assert.equal(await within(timer.join()), true);
    assert.equal(called, false);
  });

  it("cancel() after it fired is a no-op, and may be repeated", async () => {
    let calls = 0;
    const timer = new Timer(0, () => {
      calls++;
    });
    timer.start();
    await within(timer.join());
    timer.cancel();
    timer.cancel();
    assert.equal(calls, 1);
    assert.equal(timer.isAlive(), false);
  });

  it("join() waits for an async function to finish", async () => {
    const entered = new Event();
    const gate = new Event();
    let finished = false;
    const timer = new Timer(0, async () => {
      entered.set();
      await gate.wait();
      finished = true;
    });
    timer.start();
    await within(entered.wait());
    const joined = timer.join();
    assert.equal(await isPending(joined, settle), true);
    timer.cancel(); // too late: the function is running
    assert.equal(await isPending(joined, settle), true);
    gate.set();
    assert.equal(await within(joined), true);
    assert.equal(finished, true);
  });

  it("is a Thread: named 'Thread-N', current inside its function, started once", async () => {
    let inside: Thread | undefined;
    const timer = new Timer(0, () => {
      inside = currentThread();
    });
    assert.ok(timer instanceof Thread, "a Timer is a Thread");
    counterOf(timer.name);
    timer.start();
    await throwsWith(() => timer.start(), RuntimeError, { message: "threads can only be started once" });
    await within(timer.join());
    assert.equal(inside, timer);
  });

  it("does not share args between timers", () => {
    const f = (..._: number[]) => {};
    const a = new Timer(0, f);
    const b = new Timer(0, f);
    assert.notEqual(a.args, b.args);
    a.args.push("only a");
    assert.deepEqual(b.args, []);
    const given = [1, 2];
    const c = new Timer(0, f, given);
    const d = new Timer(0, f, given);
    c.args.push(3);
    assert.deepEqual(d.args, [1, 2]);
  });

  it("rejects an interval that is not a number with TypeError, a negative or NaN one with RangeError", () => {
    const f = () => {};
    assert.throws(() => new Timer("10" as never, f), TypeError);
    assert.throws(() => new Timer(undefined as never, f), TypeError);
    assert.throws(() => new Timer(-1, f), RangeError);
    assert.throws(() => new Timer(Number.NaN, f), RangeError);
    assert.throws(() => new Timer(10, "f" as never), TypeError);
    assert.throws(() => new Timer(10, f, "args" as never), TypeError);
  });
});
