/**
 * The whole test suite: every test file on the running Node (node's test runner, its report printed as it
 * goes), then the runtime matrix (README, "Runtimes"), each runtime with the suites it must prove. Ends with
 * one line, `N passed, N failed`, over all of it; exits non-zero if anything failed or nothing ran.
 *
 * `--only a,b` runs only the named parts (node, node22, node24, deno, bun, chromium).
 * A runtime that is not installed (its package does not fit this platform) is skipped, except under CI.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runChromium } from "./browser.ts";
import { findRuntime } from "./runtimes.ts";

export interface Result {
  name: string;
  passed: number;
  failed: number;
  skipped?: string;
  seconds: number;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(root + dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => `${dir}/${f}`);
}

function allTests(dir = "test"): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root + dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== "node_modules") out.push(...allTests(`${dir}/${entry.name}`));
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) out.push(`${dir}/${entry.name}`);
  }
  return out.sort();
}

/** What every runtime of the matrix runs: both tiers' contract suites, and a Thread that returns. */
const matrixFiles = [
  ...files("test/local", /\.contract\.test\.ts$/),
  ...files("test/threads", /\.contract\.test\.ts$/),
  "test/threads/thread-ends.test.ts",
];

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command in the project's root; `echo` prints its output as it comes. */
function run(cmd: string, args: string[], echo: boolean, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const take = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      out += chunk;
      if (echo) stream.write(chunk);
    };
    child.stdout.on("data", take(process.stdout));
    child.stderr.on("data", take(process.stderr));
    child.on("close", (code) => resolve({ code, out }));
  });
}

function last(out: string, re: RegExp): number | undefined {
  const all = [...out.matchAll(re)];
  const m = all[all.length - 1];
  return m === undefined ? undefined : Number(m[1]);
}

/** A failed run that reported no failing test still failed once (a crash, a file that did not load). */
function counted(r: Run, passed: number | undefined, failed: number | undefined) {
  const p = passed ?? 0;
  let f = failed ?? 0;
  if (r.code !== 0 && f === 0) f = 1;
  if (p + f === 0) f = 1; // nothing ran
  return { passed: p, failed: f };
}

/** node's test runner (spec reporter): its closing `ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`. */
async function nodeTests(bin: string, tests: string[], echo: boolean) {
  const r = await run(bin, ["--import", "tsx", "--test", "--test-reporter=spec", ...tests], echo);
  const cancelled = last(r.out, /^ℹ cancelled (\d+)$/gm) ?? 0;
  const fail = last(r.out, /^ℹ fail (\d+)$/gm);
  return {
    r,
    ...counted(r, last(r.out, /^ℹ pass (\d+)$/gm), fail === undefined ? undefined : fail + cancelled),
  };
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * `deno test` runs node:test suites as tests with steps; its report shows a group as "name ..." when it
 * opens and "name ... ok" when it closes, a leaf only as "name ... ok" (or FAILED). Leaves are counted.
 */
function denoLeaves(out: string): { passed: number; failed: number } {
  out = out.replace(ANSI, ""); // deno colours its report even with NO_COLOR set
  const open: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const line of out.split("\n")) {
    const start = /^(\s*)(.*) \.\.\.$/.exec(line);
    if (start) {
      open.push(line);
      continue;
    }
    const end = /^(\s*)(.*) \.\.\. (ok|FAILED|ignored)\b/.exec(line);
    if (!end) continue;
    if (open[open.length - 1] === `${end[1]}${end[2]} ...`) {
      open.pop(); // a group closing
      continue;
    }
    if (end[3] === "ok") passed++;
    else if (end[3] === "FAILED") failed++;
  }
  return { passed, failed };
}

async function timed(name: string, fn: () => Promise<Omit<Result, "name" | "seconds">>): Promise<Result> {
  const t0 = performance.now();
  const r = await fn();
  return { name, ...r, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

/** A runtime that is not here: skipped on a developer's machine, a failure in CI (which must run it). */
function missing(name: string): Omit<Result, "name" | "seconds"> {
  if (process.env.CI) return { passed: 0, failed: 1, skipped: `${name} is not installed` };
  return { passed: 0, failed: 0, skipped: "not installed for this platform" };
}

function tail(out: string, lines = 120): string {
  return out.split("\n").slice(-lines).join("\n");
}

const parts: Record<string, () => Promise<Result>> = {
  node: () =>
    timed(`node ${process.versions.node}: every test file`, async () =>
      nodeTests(process.execPath, allTests(), true),
    ),
  node22: () => nodeMatrix("node22"),
  node24: () => nodeMatrix("node24"),
  deno: () =>
    timed("deno: contract suites of both tiers, Thread", async () => {
      const bin = findRuntime("deno");
      if (bin === undefined) return missing("deno");
      const r = await run(bin, ["test", "-A", "--no-check", "--no-lock", ...matrixFiles], false);
      const c = counted(r, ...(Object.values(denoLeaves(r.out)) as [number, number]));
      if (c.failed > 0) console.log(tail(r.out));
      return c;
    }),
  bun: () =>
    timed("bun: contract suites of both tiers, Thread", async () => {
      const bin = findRuntime("bun");
      if (bin === undefined) return missing("bun");
      // bun's own per-test timeout (5 s) is shorter than the suites' deadlines.
      const r = await run(bin, ["test", "--timeout", "120000", ...matrixFiles.map((f) => `./${f}`)], false);
      const c = counted(r, last(r.out, /^\s*(\d+) pass$/gm), last(r.out, /^\s*(\d+) fail$/gm));
      if (c.failed > 0) console.log(tail(r.out));
      return c;
    }),
  chromium: () => runChromium(),
};

async function nodeMatrix(name: "node22" | "node24"): Promise<Result> {
  const bin = findRuntime(name);
  const version = bin === undefined ? name : (await run(bin, ["--version"], false)).out.trim();
  return timed(`node ${version.replace(/^v/, "")}: contract suites of both tiers, Thread`, async () => {
    if (bin === undefined) return missing(name);
    const { r, ...c } = await nodeTests(bin, matrixFiles, false);
    if (c.failed > 0) console.log(tail(r.out));
    return c;
  });
}

const only = process.argv.indexOf("--only");
const names = only === -1 ? Object.keys(parts) : process.argv[only + 1]!.split(",");
const results: Result[] = [];
for (const name of names) {
  const part = parts[name];
  if (part === undefined) throw new Error(`no part named ${name}: ${Object.keys(parts).join(", ")}`);
  if (name !== "node") console.log(`\n# ${name} ...`);
  const result = await part();
  results.push(result);
  const skip = result.skipped ? ` (${result.skipped})` : "";
  console.log(
    `# ${result.name}: ${result.passed} passed, ${result.failed} failed${skip} in ${result.seconds} s`,
  );
}

console.log("\n# The matrix");
for (const r of results) {
  console.log(`#   ${r.name}: ${r.passed} passed, ${r.failed} failed${r.skipped ? ` (${r.skipped})` : ""}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
