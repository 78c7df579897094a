/**
 * Thread, Timer and the thread functions of threadkit/threads: targets are modules under ./targets/, run on
 * worker threads, with primitives in their args arriving live. Every wait has a deadline.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import {
  activeCount,
  currentThread,
  Event,
  enumerate,
  Lock,
  mainThread,
  OwnerDiedError,
  RuntimeError,
  Semaphore,
  Thread,
  Timer,
  ValueError,
} from "../../src/threads/index.ts";
import { rejectsWith, throwsWith } from "../helpers.ts";
import { withinBooted } from "./spawn.ts";
import { box, take } from "./targets/box.ts";

const target = (file: string) => new URL(`./targets/${file}`, import.meta.url);
const signals = target("signals.ts");
const failing = target("failing.ts");
/**
 * The timeout of a wait that the test expects to succeed: longer than a worker's boot may take (see
 * `booted()` in ./spawn.ts) plus the deadline after it, so only a hang reaches it, and it then lets the
 * process end. The deadline that fails the test is the outer `withinBooted`, which leaves start-ups out.
 */
const LONG = { timeout: 240_000 };

/** The N of an automatic "Thread-N" or "Thread-N (label)" name. */
function counterOf(name: string): number {
  const match = /^Thread-(\d+)(?: \(.*\))?$/.exec(name);
  assert.ok(match, `an automatic name: ${name}`);
  return Number(match[1]);
}

/** A started thread blocked until the returned gate is set. */
function gatedThread(options: { daemon?: boolean; name?: string } = {}): { thread: Thread; gate: Event } {
  const gate = new Event();
  const thread = new Thread({ target: signals, export: "gated", args: [gate], ...options });
  thread.start();
  return { thread, gate };
}

describe("threads Thread: running a module on a worker", () => {
  it("runs the default export with args; a Lock passed in args excludes the main thread and the worker", async () => {
    const lock = new Lock();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const n = 20_000;
    const thread = new Thread({ target: target("counter.ts"), args: [lock, counter, n] });
    thread.start();
    for (let i = 0; i < n; i++) {
      await lock.acquire();
      counter[0] = (counter[0] as number) + 1;
      lock.release();
    }
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(counter[0], 2 * n, "no update lost: one lock on both sides");
    assert.equal(lock.locked(), false);
    assert.equal(thread.error, undefined);
  });

  it("calls a named export; Events and a Semaphore nested in objects and arrays arrive live, other args cloned", async () => {
    const ready = new Event();
    const go = new Event();
    const permits = new Semaphore(0);
    const thread = new Thread({
      target: signals,
      export: "handshake",
      args: [{ ready, go }, [permits], 3, { when: new Date(0), tags: new Map([["a", 1]]) }],
    });
    thread.start();
    assert.equal(await withinBooted(ready.wait(LONG)), true, "the worker set the test's Event");
    assert.equal(permits.tryAcquire(), false, "nothing released before go");
    go.set();
    for (let i = 0; i < 3; i++) assert.equal(await withinBooted(permits.acquire(LONG)), true);
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(thread.error, undefined);
    assert.equal(permits.value, 0, "exactly the 3 permits the worker released");
  });

  it("accepts a path or a file URL string as target", async () => {
    const path = fileURLToPath(signals);
    for (const spec of [path, signals.href]) {
      const event = new Event();
      const thread = new Thread({ target: spec, export: "mark", args: [event] });
      thread.start();
      assert.equal(await withinBooted(thread.join(LONG)), true);
      assert.equal(thread.error, undefined);
      assert.equal(event.isSet(), true, spec);
    }
  });

  it("run() called directly runs the target in the calling thread, as Python", async () => {
    const thread = new Thread({ target: target("whoami.ts"), args: ["!"] });
    assert.equal(await thread.run(), "MainThread!");
    assert.equal(thread.isAlive(), false);
  });
});

describe("threads Thread: join, joinSync, isAlive, ident", () => {
  it("join() resolves false on timeout while the thread runs, true once it has finished", async () => {
    const { thread, gate } = gatedThread();
    assert.equal(thread.isAlive(), true, "alive as soon as start() returns");
    assert.equal(await thread.join({ timeout: 0 }), false);
    assert.equal(await thread.join({ blocking: false }), false);
    assert.equal(await withinBooted(thread.join({ timeout: 50 })), false);
    assert.equal(thread.isAlive(), true);
    const joins = [thread.join(LONG), thread.join(LONG)];
    gate.set();
    assert.deepEqual(await withinBooted(Promise.all(joins)), [true, true], "any number of joiners");
    assert.equal(thread.isAlive(), false);
    assert.equal(await thread.join({ timeout: 0 }), true, "joining again: at once");
  });

  it("joinSync() blocks this thread (event loop included) until the worker finishes, false on timeout", async () => {
    const { thread, gate } = gatedThread();
    const started = performance.now();
    assert.equal(thread.joinSync({ timeout: 50 }), false);
    assert.ok(performance.now() - started >= 45, "it did wait");
    gate.set();
    // The event loop is blocked from here on: "finished" is seen in shared memory alone.
    assert.equal(thread.joinSync(LONG), true);
    assert.equal(thread.isAlive(), false);
    assert.equal(thread.joinSync({ timeout: 0 }), true);
  });

  it("a pending join() rejects with the signal's reason on abort, and the thread is unaffected", async () => {
    const { thread, gate } = gatedThread();
    const controller = new AbortController();
    const pending = thread.join({ signal: controller.signal });
    const reason = new Error("stop waiting");
    controller.abort(reason);
    await assert.rejects(withinBooted(pending), (e) => e === reason);
    assert.equal(thread.isAlive(), true);
    gate.set();
    assert.equal(await withinBooted(thread.join(LONG)), true);
  });

  it("ident is null before start, then the worker's threadId, also inside it; it stays after the end", async () => {
    const out = box();
    const thread = new Thread({ target: target("identity.ts"), args: [out], name: "who", daemon: true });
    const before = thread.ident;
    assert.equal(before, null);
    assert.equal(thread.isAlive(), false);
    thread.start();
    const ident = thread.ident;
    assert.ok(typeof ident === "number" && ident > 0, String(ident));
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(thread.error, undefined, String(thread.error));
    const seen = take(out);
    assert.equal(seen.ident, ident);
    assert.equal(seen.threadId, ident);
    assert.equal(thread.ident, ident);
  });
});

describe("threads Thread: inside the worker", () => {
  it("currentThread() is that thread (name, ident, daemon); mainThread(); enumerate() lists itself, main and its own threads", async () => {
    const out = box();
    const thread = new Thread({ target: target("identity.ts"), args: [out], name: "inner", daemon: true });
    thread.start();
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(thread.error, undefined, String(thread.error));
    const seen = take<{
      name: string;
      daemon: boolean;
      alive: boolean;
      same: boolean;
      main: { name: string; ident: number; alive: boolean };
      joinSelf: string;
      child: { name: string; daemon: boolean; ident: number; joined: boolean; alive: boolean };
      whileChild: string[];
      countWhileChild: number;
      after: string[];
    }>(out);
    assert.equal(seen.name, "inner");
    assert.equal(seen.daemon, true);
    assert.equal(seen.alive, true);
    assert.equal(seen.same, true, "always the same object");
    assert.deepEqual(seen.main, { name: "MainThread", ident: 0, alive: true });
    assert.equal(seen.joinSelf, "RuntimeError: cannot join current thread");
    assert.match(seen.child.name, /^Thread-\d+ \(gatedAsync\)$/);
    assert.equal(seen.child.daemon, true, "daemon inherited from the current thread");
    assert.ok(seen.child.ident > 0 && seen.child.ident !== thread.ident);
    assert.equal(seen.child.joined, true);
    assert.equal(seen.child.alive, false);
    // Every running thread of the process is listed (others of this file may still be finishing).
    for (const name of ["MainThread", "inner", seen.child.name])
      assert.ok(seen.whileChild.includes(name), name);
    assert.equal(seen.countWhileChild, seen.whileChild.length);
    assert.ok(seen.after.includes("MainThread") && seen.after.includes("inner"));
    assert.equal(seen.after.includes(seen.child.name), false, "a finished thread is gone");
  });

  it("enumerate() in a worker lists every running thread of the process: a sibling it can join", async () => {
    const out = box();
    const { thread: sibling, gate } = gatedThread({ name: "sibling", daemon: true });
    const census = new Thread({ target: target("census.ts"), args: [out, gate], name: "census" });
    census.start();
    assert.equal(await withinBooted(census.join(LONG)), true);
    assert.equal(census.error, undefined, String(census.error));
    assert.equal(await withinBooted(sibling.join(LONG)), true);
    const seen = take<{
      before: { names: string[]; count: number; alive: boolean };
      sibling: { ident: number; daemon: boolean; name: string };
      early: boolean;
      joined: boolean;
      joinedSync: boolean;
      aliveAfter: boolean;
      after: string[];
      same: boolean;
    }>(out);
    for (const name of ["MainThread", "census", "sibling"]) assert.ok(seen.before.names.includes(name), name);
    assert.equal(seen.before.count, seen.before.names.length);
    assert.equal(seen.before.alive, true);
    assert.deepEqual(seen.sibling, { ident: sibling.ident, daemon: true, name: "sibling" });
    assert.equal(seen.early, false, "join() timed out while the sibling was gated");
    assert.equal(seen.joined, true);
    assert.equal(seen.joinedSync, true);
    assert.equal(seen.aliveAfter, false);
    assert.ok(!seen.after.includes("sibling") && seen.after.includes("census"));
    assert.equal(seen.same, true);
  });

  it("names count on across threads: a name made in a worker is not one made here", async () => {
    const out = box();
    const before = counterOf(new Thread().name);
    const thread = new Thread({ target: target("identity.ts"), args: [out], daemon: true });
    thread.start();
    assert.equal(await withinBooted(thread.join(LONG)), true);
    const inWorker = counterOf(take<{ child: { name: string } }>(out).child.name);
    const after = counterOf(new Thread().name);
    assert.ok(before < counterOf(thread.name) && counterOf(thread.name) < inWorker && inWorker < after);
  });
});

describe("threads Thread: names, daemon, the main thread and enumerate() here", () => {
  it("names: 'Thread-N (module)' for a default export, 'Thread-N (export)' for a named one, 'Thread-N' without target", () => {
    const a = new Thread({ target: target("counter.ts") });
    const b = new Thread({ target: signals, export: "mark" });
    const c = new Thread();
    assert.match(a.name, /^Thread-\d+ \(counter\)$/);
    assert.match(b.name, /^Thread-\d+ \(mark\)$/);
    assert.match(c.name, /^Thread-\d+$/);
    assert.ok(counterOf(a.name) < counterOf(b.name) && counterOf(b.name) < counterOf(c.name));
    assert.equal(new Thread({ name: "named", target: signals }).name, "named", "an explicit name wins");
    assert.equal(new Thread({ name: 123 as never }).name, "123");
    assert.match(new Thread({ name: "" }).name, /^Thread-\d+$/);
    c.name = "renamed";
    assert.equal(c.name, "renamed");
    assert.equal(String(c), "<Thread(renamed, initial)>");
  });

  it("the main thread: currentThread() here, ident 0, alive, not a daemon; new threads inherit its daemon flag", () => {
    const main = mainThread();
    assert.equal(currentThread(), main);
    assert.equal(main.name, "MainThread");
    assert.equal(main.ident, 0);
    assert.equal(main.isAlive(), true);
    assert.equal(main.daemon, false);
    assert.equal(new Thread().daemon, false);
  });

  it("enumerate() and activeCount(): the main thread and the started threads still alive", async () => {
    assert.ok(enumerate().includes(mainThread()));
    const { thread, gate } = gatedThread();
    const listed = enumerate();
    assert.ok(listed.includes(thread));
    assert.equal(activeCount(), enumerate().length);
    assert.equal(new Set(listed).size, listed.length, "each thread once");
    gate.set();
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(enumerate().includes(thread), false);
  });

  it("daemon: settable before start, RuntimeError after; toString shows state and daemon", async () => {
    const { thread, gate } = gatedThread({ name: "d", daemon: true });
    assert.equal(thread.daemon, true);
    assert.equal(String(thread), `<Thread(d, started daemon ${thread.ident})>`);
    await throwsWith(
      () => {
        thread.daemon = false;
      },
      RuntimeError,
      { message: "cannot set daemon status of active thread" },
    );
    assert.equal(thread.daemon, true);
    gate.set();
    assert.equal(await withinBooted(thread.join(LONG)), true);
    assert.equal(String(thread), `<Thread(d, stopped daemon ${thread.ident})>`);
    const later = new Thread();
    later.daemon = true;
    assert.equal(later.daemon, true);
  });
});

describe("threads Thread: uncaught errors (excepthook)", () => {
  async function failWith(name: string, join: (t: Thread) => Promise<boolean> | boolean, t: TestContext) {
    const report = t.mock.method(console, "error", () => {});
    const thread = new Thread({ target: failing, export: name, name: `failing-${name}` });
    thread.start();
    assert.equal(await withinBooted(Promise.resolve(join(thread))), true, "join still resolves true");
    assert.equal(thread.isAlive(), false);
    assert.equal(report.mock.callCount(), 1, "reported once");
    const text = String(report.mock.calls[0]?.arguments.join(" "));
    assert.ok(text.startsWith(`Exception in thread failing-${name}:\n`), text);
    return { error: thread.error as Error, text };
  }

  it("a sync throw: reported with the worker's stack, kept as error (a TypeError again)", async (t) => {
    const { error, text } = await failWith("throws", (th) => th.join(LONG), t);
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, "sync boom");
    assert.match(error.stack ?? "", /failing\.ts/, "the stack is the worker's");
    assert.match(text, /TypeError: sync boom\n\s+at .*failing\.ts/);
  });

  it("a rejection: a threadkit error comes back as its class, with its code", async (t) => {
    const { error, text } = await failWith("rejects", (th) => th.join(LONG), t);
    assert.ok(error instanceof ValueError, String(error));
    assert.equal((error as ValueError).code, "ERR_VALUE");
    assert.equal(error.message, "async boom");
    assert.match(text, /async boom/);
  });

  it("process.exit() in the target: reported and kept, seen by joinSync() with the event loop blocked", async (t) => {
    const { error, text } = await failWith("exits", (th) => th.joinSync(LONG), t);
    assert.ok(error instanceof Error);
    assert.match(error.message, /exited with code 3 before its target settled/);
    assert.match(text, /exited with code 3/);
  });

  it("an uncaught error outside the target that kills the worker is the thread's error", async (t) => {
    const { error, text } = await failWith("strays", (th) => th.join(LONG), t);
    assert.ok(error instanceof RangeError, String(error));
    assert.equal(error.message, "stray boom");
    assert.match(text, /RangeError: stray boom/);
  });

  it("a target that throws or rejects holding a Lock or a Semaphore permit died of it: the next acquirer gets it with OwnerDiedError", async (t) => {
    t.mock.method(console, "error", () => {});
    for (const exported of ["throwsHolding", "rejectsHolding"]) {
      for (const p of [new Lock(), new Semaphore(1)]) {
        const thread = new Thread({ target: failing, export: exported, args: [p] });
        thread.start();
        assert.equal(await withinBooted(thread.join(LONG)), true);
        assert.ok(thread.error instanceof TypeError, String(thread.error));
        // Its death is known once its worker's exit is seen: a later acquire waits for that, then recovers.
        await rejectsWith(withinBooted(p.acquire(LONG), 25_000), OwnerDiedError, { message: /died holding/ });
        p.release();
        assert.equal(
          await withinBooted(p.acquire({ timeout: 5_000 })),
          true,
          `${exported}: acquires normally after`,
        );
        p.release();
      }
    }
  });

  it("a missing export or module is the thread's error; a target that ends well reports nothing", async (t) => {
    const report = t.mock.method(console, "error", () => {});
    const missing = new Thread({ target: signals, export: "nope" });
    missing.start();
    assert.equal(await withinBooted(missing.join(LONG)), true);
    assert.ok(missing.error instanceof TypeError);
    assert.match((missing.error as Error).message, /has no export "nope" that is a function/);
    const absent = new Thread({ target: target("absent.ts") });
    absent.start();
    assert.equal(await withinBooted(absent.join(LONG)), true);
    assert.equal(
      (absent.error as { code?: string }).code,
      "ERR_MODULE_NOT_FOUND",
      "a Node error keeps its code",
    );
    const fine = new Thread({ target: signals, export: "mark", args: [new Event()] });
    fine.start();
    assert.equal(await withinBooted(fine.join(LONG)), true);
    assert.equal(fine.error, undefined);
    assert.equal(report.mock.callCount(), 2, "only the missing export and module were reported");
  });
});

describe("threads Thread: daemon threads and the process", () => {
  const child = fileURLToPath(target("daemon-child.ts"));
  function run(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", child, mode],
        { timeout: 180_000 }, // only a hang: a loaded machine can take long to start a process and its worker
        (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
        },
      );
    });
  }

  it("a daemon thread that never ends does not keep the process alive", async () => {
    const { code, stdout, stderr } = await run("daemon");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^main done at \d+\n$/);
  });

  it("control: a non-daemon thread keeps it alive until the thread ends", async () => {
    const { code, stdout, stderr } = await run("plain");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^main done at \d+\nworker done\n$/);
  });
});

describe("threads Timer", () => {
  it("runs the function on a worker after the interval", async () => {
    const ran = new Event();
    const timer = new Timer(100, signals, [ran], { export: "mark" });
    assert.match(timer.name, /^Thread-\d+$/);
    const started = performance.now();
    timer.start();
    assert.equal(await withinBooted(ran.wait(LONG)), true);
    assert.ok(performance.now() - started >= 99, "not before the interval");
    assert.equal(await withinBooted(timer.join(LONG)), true);
    assert.equal(timer.finished.isSet(), true);
    assert.equal(timer.error, undefined);
    timer.cancel(); // after it fired: no effect, no error
  });

  it("cancel() before the interval: the function never runs, and the thread ends at once", async () => {
    const ran = new Event();
    const timer = new Timer(600_000, signals, [ran], { export: "mark" });
    timer.start();
    timer.cancel();
    timer.cancel(); // idempotent
    assert.equal(await withinBooted(timer.join(LONG)), true, "the worker's wait was cut short");
    assert.equal(ran.isSet(), false);
    assert.equal(timer.finished.isSet(), true);
  });

  it("cancel() before start(): run() returns at once on the worker", async () => {
    const ran = new Event();
    const timer = new Timer(0, signals, [ran], { export: "mark" });
    timer.cancel();
    timer.start();
    assert.equal(await withinBooted(timer.join(LONG)), true);
    assert.equal(ran.isSet(), false);
  });

  it("rejects a bad interval or target before anything starts", () => {
    assert.throws(() => new Timer(Number.NaN, signals), RangeError);
    assert.throws(() => new Timer(-1, signals), RangeError);
    assert.throws(() => new Timer("1" as never, signals), TypeError);
    assert.throws(() => new Timer(1, 42 as never), TypeError);
  });
});

describe("threads Thread: misuse", () => {
  it("start() twice, also after the end: RuntimeError", async () => {
    const { thread, gate } = gatedThread();
    await throwsWith(() => thread.start(), RuntimeError, { message: "threads can only be started once" });
    gate.set();
    assert.equal(await withinBooted(thread.join(LONG)), true);
    await throwsWith(() => thread.start(), RuntimeError, { message: "threads can only be started once" });
  });

  it("join()/joinSync() before start and of the current thread: RuntimeError", async () => {
    const thread = new Thread({ target: signals, export: "mark" });
    await rejectsWith(thread.join(), RuntimeError, { message: "cannot join thread before it is started" });
    await throwsWith(() => thread.joinSync(), RuntimeError, {
      message: "cannot join thread before it is started",
    });
    await rejectsWith(mainThread().join(), RuntimeError, { message: "cannot join current thread" });
    await throwsWith(() => mainThread().joinSync(), RuntimeError, { message: "cannot join current thread" });
  });

  it("bad options: TypeError/RangeError, and nothing starts", async () => {
    assert.throws(() => new Thread({ target: 42 as never }), TypeError);
    assert.throws(() => new Thread({ target: "" }), TypeError);
    assert.throws(() => new Thread({ target: signals, args: "a" as never }), TypeError);
    assert.throws(() => new Thread({ target: signals, export: "" }), TypeError);
    assert.throws(() => new Thread({ daemon: "yes" as never }), TypeError);
    const { thread, gate } = gatedThread();
    await rejectsWith(thread.join({ timeout: -1 }), RangeError);
    await throwsWith(() => thread.joinSync({ timeout: Number.NaN }), RangeError);
    await rejectsWith(thread.join({ blocking: false, timeout: 5 }), TypeError);
    gate.set();
    assert.equal(await withinBooted(thread.join(LONG)), true);
  });

  it("args that cannot be cloned: TypeError from start(), and the thread is still unstarted", () => {
    const thread = new Thread({ target: signals, export: "mark", args: [() => {}] });
    assert.throws(() => thread.start(), TypeError);
    assert.equal(thread.ident, null);
    assert.equal(thread.isAlive(), false);
  });

  it("a subclass that overrides run(): TypeError from start() (functions cannot cross to the worker)", () => {
    class Custom extends Thread {
      override async run(): Promise<void> {}
    }
    const thread = new Custom({ target: signals, export: "mark" });
    assert.throws(() => thread.start(), TypeError);
    assert.equal(thread.isAlive(), false);
  });
});
