import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const program = fileURLToPath(new URL("./programs/local.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program of ./programs/local.ts in a process of its own (generous time: the machine may be loaded). */
function run(scenario: string, variant: "bug" | "fixed", env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", program, scenario, variant],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function deadlocked(scenario: string, lines: string[]): Promise<void> {
  const r = await run(scenario, "bug");
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stdout, /done/);
  assert.match(r.stderr, /DeadlockError: deadlock: /);
  // Printed once, however many threads were told (each Thread's uncaught error, then the main thread's).
  const times = (s: string) => r.stderr.split(s).length - 1;
  assert.equal(times("deadlock: "), 1, r.stderr);
  for (const line of lines) assert.equal(times(line), 1, `${line}\nnot once in:\n${r.stderr}`);
}

async function clean(scenario: string): Promise<void> {
  const r = await run(scenario, "fixed");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "done");
  assert.doesNotMatch(r.stderr, /Deadlock/);
}

describe("deadlock detection on one event loop, when nothing is left that could wake the waiters", () => {
  it("reports two threads that each hold the lock the other waits for, with the cycle", async () => {
    await deadlocked("two-locks", [
      `cycle: "left" -[lock "b" (L1)]-> "right" -[lock "a" (L2)]-> "left"`,
      `"left" waits to acquire lock "b" (L1), held by "right"`,
      `"right" waits to acquire lock "a" (L2), held by "left"`,
      `"MainThread" waits to join thread "left"`,
    ]);
  });
  it("raises nothing when both threads take the locks in one order", () => clean("two-locks"));

  it("reports a task that acquires a Lock it holds", async () => {
    await deadlocked("self", [`"MainThread" waits to acquire lock "once" (L1), held by "MainThread"`]);
  });
  it("raises nothing when the task releases it first", () => clean("self"));

  it("names who holds each Lock: the main thread that took it before any Thread started, the Thread handed it", async () => {
    await deadlocked("holders", [
      `"MainThread" waits to acquire lock "baton" (L1), held by "runner"`,
      `"runner" waits to acquire lock "gate" (L2), held by "MainThread"`,
    ]);
  });
  it("raises nothing when the main thread lets go of the Lock first", () => clean("holders"));

  it("reports a Condition that nobody will notify", async () => {
    await deadlocked("condition", [
      `"waiter" waits for a notify of condition "ready" (L1)`,
      `"MainThread" waits to join thread "waiter"`,
    ]);
  });
  it("raises nothing when the Condition is notified", () => clean("condition"));

  it("reports a Queue.get with no producer left", async () => {
    await deadlocked("queue", [`"consumer" waits to get from queue "jobs" (L1)`]);
  });
  it("raises nothing when every get has its put", () => clean("queue"));

  it("reports a Condition waiter that cannot take its RLock back, and who holds it", async () => {
    await deadlocked("rlock-condition", [`"waiter" waits to acquire rlock "state" (L1), held by "notifier"`]);
  });
  it("raises nothing when the notifier lets go of the RLock", () => clean("rlock-condition"));

  it("names a daemon thread's wait but raises nothing for it, nor for a wait with a timeout", async () => {
    await clean("daemon-timeout");
    await deadlocked("daemon-timeout", [`"watcher" (daemon) waits for event L1`]);
  });

  it("is switched off by THREADKIT_DEADLOCK=0: Node's silent exit with code 13 again", async () => {
    const r = await run("self", "bug", { THREADKIT_DEADLOCK: "0" });
    assert.equal(r.code, 13, r.stderr);
    assert.doesNotMatch(r.stderr, /Deadlock/);
  });
});

describe("deadlock detection while the process has other work", () => {
  it("tells the RLock waiter that closes a cycle once it has stood for a while; the other then goes on", async () => {
    const r = await run("busy-rlock", "bug");
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /deadlock: 2 threads wait for each other in a cycle; "right", which closed it, is told/,
    );
    assert.ok(r.stderr.includes(`"left" waits to acquire rlock "b" (L2), held by "right"`), r.stderr);
    assert.equal(r.stdout.trim(), "done");
  });
  it("tells the Lock waiter that closes a cycle once it has stood for a while", async () => {
    const r = await run("busy-lock", "bug");
    assert.equal(r.code, 3, r.stderr);
    assert.ok(
      r.stderr.includes(`cycle: "right" -[lock "a" (L1)]-> "left" -[lock "b" (L2)]-> "right"`),
      r.stderr,
    );
    assert.equal(r.stdout.trim(), "done");
  });
  it("raises nothing when the threads take the locks in one order", async () => {
    await clean("busy-rlock");
    await clean("busy-lock");
  });
});
