import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const program = fileURLToPath(new URL("./programs/threads.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ./programs/threads.ts in a process of its own (generous time: workers start slowly under load). */
function run(kind: "lock" | "rlock" | "mixed", variant: "bug" | "fixed"): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", program, kind, variant],
      { timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("deadlock detection across worker threads", () => {
  for (const [kind, how] of [
    ["lock", "Locks, both blocking"],
    ["rlock", "RLocks, both blocking"],
    ["mixed", "a Lock and an RLock"],
  ] as const) {
    it(`tells one of two workers that each hold what the other waits for (${how}); the other goes on`, async () => {
      const r = await run(kind, "bug");
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout.trim(), "done");
      // "right" took b and waits for a; "left" took a and waits for b.
      const a = kind === "rlock" ? "rlock" : "lock";
      const b = kind === "lock" ? "lock" : "rlock";
      const id = String.raw`T\d+\.\d+`;
      assert.match(r.stderr, /deadlock: 2 threads wait for each other in a cycle; "right" is told/);
      assert.match(
        r.stderr,
        new RegExp(String.raw`cycle: "right" -\[${a} ${id}\]-> "left" -\[${b} ${id}\]-> "right"`),
      );
      assert.match(r.stderr, new RegExp(`"right" waits to acquire ${a} ${id}, held by "left"`));
      assert.match(r.stderr, new RegExp(`"left" waits to acquire ${b} ${id}, held by "right"`));
      // Told exactly once: the highest thread id of the cycle.
      assert.equal(r.stderr.match(/deadlock: /g)?.length, 1, r.stderr);
    });
    it(`raises nothing when both workers take them in one order (${kind})`, async () => {
      const r = await run(kind, "fixed");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), "done");
      assert.doesNotMatch(r.stderr, /deadlock/);
    });
  }
});

const stuckProgram = fileURLToPath(new URL("./programs/threads-stuck.ts", import.meta.url));

function runStuck(scenario: string, variant: "bug" | "fixed"): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", stuckProgram, scenario, variant],
      { timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("deadlock detection across worker threads: every live thread waits forever", () => {
  const id = String.raw`T\d+\.\d+`;
  /** The report is printed once, and names every thread's wait. */
  function reported(r: Run, told: string, lines: RegExp[]): void {
    assert.equal(r.stderr.match(/deadlock: /g)?.length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`threads? left waits? on threadkit primitives .*; "${told}" is told`));
    for (const line of lines) assert.match(r.stderr, line);
  }
  async function clean(scenario: string): Promise<void> {
    const r = await runStuck(scenario, "fixed");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    assert.doesNotMatch(r.stderr, /[Dd]eadlock/);
  }

  it("tells the main thread that acquires a Lock it holds, with no timeout", async () => {
    const r = await runStuck("self", "bug");
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /done/);
    reported(r, "main", [new RegExp(`"main" waits to acquire lock "once" \\(${id}\\), held by "main"`)]);
  });
  it("raises nothing when it releases the Lock first", () => clean("self"));

  it("tells the worker waiting on a Condition that nobody will notify (main blocked in its join)", async () => {
    const r = await runStuck("condition", "bug");
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    assert.match(r.stderr, /Exception in thread waiter:\nDeadlockError/);
    reported(r, "waiter", [
      new RegExp(`"waiter" waits for a notify of condition ${id}`),
      new RegExp(`"main" waits for event ${id}`),
    ]);
  });
  it("raises nothing when the Condition is notified", () => clean("condition"));

  it("tells the worker blocked in Queue.getSync once its producer has ended", async () => {
    const r = await runStuck("queue", "bug");
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    reported(r, "consumer", [new RegExp(`"consumer" waits on queue ${id}`)]);
    assert.doesNotMatch(r.stderr, /"producer" waits/, "an ended thread is not counted");
  });
  it("raises nothing when every get has its put", () => clean("queue"));

  it("tells one of the threads when a Condition's waiter cannot take its RLock back", async () => {
    const r = await runStuck("rlock-condition", "bug");
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    reported(r, "notifier", [
      new RegExp(`"waiter" waits to acquire rlock "?[\\w ]*"? ?\\(?${id}\\)?, held by "notifier"`),
      new RegExp(`"notifier" waits for event ${id}`),
    ]);
  });
  it("raises nothing when the notifier lets go of the RLock", () => clean("rlock-condition"));
});
