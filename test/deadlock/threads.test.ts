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
