/**
 * What a Thread prints reaches the process's stdout and stderr in the order the program printed it: before
 * `join()` returns, and, for lines printed under a lock, in lock order, whether the descriptor is a pipe or a
 * file. Each case runs ./stdio-child.ts in a child process and reads everything it wrote.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./stdio-child.ts", import.meta.url));
const args = ["--import", "tsx", child];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the child with stdout and stderr on pipes; `pauseMs`: how long the stdout pipe goes unread first. */
function viaPipes(mode: string, pauseMs = 0): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...args, mode], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 180_000, // only a hang: a loaded machine can take long to start a process and its workers
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    proc.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    if (pauseMs > 0) {
      proc.stdout.pause();
      setTimeout(() => proc.stdout.resume(), pauseMs);
    }
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the child with stdout and stderr both on one file; resolves what the file holds. */
function viaFile(mode: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "threadkit-stdio-"));
  const file = join(dir, "out.txt");
  const fd = openSync(file, "w");
  return new Promise<Run>((resolve, reject) => {
    const proc = spawn(process.execPath, [...args, mode], { stdio: ["ignore", fd, fd], timeout: 180_000 });
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, stdout: readFileSync(file, "utf8"), stderr: "" }));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const LINE = /^(\d+) (acquired|written|released) by (\S+)$/;
const JOINED = /^joined (\S+)$/;

/**
 * Checks a run's lines: rounds 0..n-1 in order, each as three consecutive lines (acquired, written, released)
 * of one thread, and every line of a thread before the "joined" line of it (or of its parent, "T1" for "T1.1").
 * A "joined" line is printed outside the lock, so it may come in the middle of another thread's round.
 */
function checkOrder(text: string, rounds: number, joins: string[]): void {
  const all = text.split("\n");
  assert.equal(all.pop(), "", "ends with a newline");
  const joinedAt = new Map<string, number>();
  for (const [i, line] of all.entries()) {
    const join = JOINED.exec(line);
    if (join) joinedAt.set(join[1] as string, i);
  }
  assert.deepEqual([...joinedAt.keys()].sort(), [...joins].sort());
  const at = all.flatMap((line, i) => (JOINED.test(line) ? [] : [i])); // where each round line is in `all`
  const lines = at.map((i) => all[i] as string);
  let next = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = LINE.exec(line);
    assert.ok(m, `line ${(at[i] as number) + 1} is a round's line: ${JSON.stringify(line)}`);
    assert.equal(Number(m[1]), next, `line ${(at[i] as number) + 1}: rounds in lock order (${line})`);
    const [, , what, who] = m as unknown as [string, string, string, string];
    const step = ["acquired", "written", "released"].indexOf(what);
    assert.deepEqual(
      lines.slice(i - step, i - step + 3),
      [`${next} acquired by ${who}`, `${next} written by ${who}`, `${next} released by ${who}`],
      `line ${(at[i] as number) + 1}: round ${next} in one piece`,
    );
    for (const [name, joined] of joinedAt) {
      if (who === name || who.startsWith(`${name}.`)) {
        assert.ok((at[i] as number) < joined, `"${line}" after "joined ${name}"`);
      }
    }
    if (step === 2) next++;
  }
  assert.equal(next, rounds, "every round printed");
}

describe("threads Thread: what a worker prints", () => {
  it("on a pipe: lines under a lock come out in lock order, and a thread's lines before its join returns", async () => {
    const { code, stdout, stderr } = await viaPipes("lines");
    assert.equal(code, 0, stderr);
    checkOrder(stdout, 90, ["T1", "T2"]);
    assert.equal(stderr, "");
  });

  it("on a file, stdout and stderr together: the lines of both descriptors in the order printed", async () => {
    const { code, stdout } = await viaFile("stderr");
    assert.equal(code, 0, stdout);
    checkOrder(stdout, 90, ["T1", "T2"]);
  });

  it("on pipes, stderr apart: each descriptor gets its own lines, the stdout ones in order", async () => {
    const { code, stdout, stderr } = await viaPipes("stderr");
    assert.equal(code, 0, stderr);
    const written = stderr.split("\n").filter((l) => l !== "");
    assert.equal(written.length, 90);
    assert.deepEqual(
      written.map((l) => Number(LINE.exec(l)?.[1])),
      Array.from({ length: 90 }, (_, i) => i),
      "the stderr lines in lock order",
    );
    const merged = stdout.replace(/^(\d+) acquired by (\S+)\n/gm, "$1 acquired by $2\n$1 written by $2\n");
    checkOrder(merged, 90, ["T1", "T2"]);
  });

  it("from a thread a thread started: in order too", async () => {
    const { code, stdout, stderr } = await viaPipes("nested");
    assert.equal(code, 0, stderr);
    checkOrder(stdout, 90, ["T1", "T2", "T1.1", "T2.1"]);
  });

  it("a pipe left unread for a while: the writers wait, and nothing is lost or reordered", async () => {
    const { code, stdout, stderr } = await viaPipes("big", 1_000);
    assert.equal(code, 0, stderr);
    checkOrder(stdout, 6_000, ["T1", "T2"]);
  });

  it("a main thread whose stdout.write is replaced sees every line the workers print", async () => {
    const { code, stdout, stderr } = await viaPipes("captured");
    assert.equal(code, 0, stderr);
    const lines = stdout.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 90 * 3 + 2);
    for (const line of lines) assert.match(line, /^captured: /);
  });
});
