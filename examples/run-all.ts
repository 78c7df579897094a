/**
 * Runs the examples (`npm run examples`), or those named (`npm run example -- candy-machine`), each in a
 * process of its own, then prints a summary; exits 1 if any failed. One example runs with the terminal as
 * its output; several run two at a time (most of an example's time is threads starting), each one's output
 * kept in `<name>.output.txt` and printed whole, in order. Every example (but those of UNRECORDED) runs
 * with the recorder on in all its threads, as `npx threadkit trace` runs a program, and writes its timeline
 * to `<name>.timeline.html`, whose path is the last line of its output. It runs from build/examples/, where `npm run examples`
 * compiled this folder: a Thread's body is a module, and a compiled one starts in a fraction of the time a
 * .ts one takes.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== "run-all.js")
  .map((f) => f.slice(0, -".js".length))
  .sort();
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`no example named ${unknown.join(", ")}; there are: ${all.join(", ")}`);
  process.exit(2);
}
const chosen = asked.length > 0 ? asked : all;
const alone = chosen.length === 1;
// The recorder's entry for `--import`: the one `npx threadkit trace` loads, beside threadkit/trace's module.
const register = new URL("./register.js", import.meta.resolve("threadkit/trace")).href;
/**
 * Examples run without the recorder, and why. The recorder keeps every event of a run: 20,000 acquire and
 * release pairs on the `lock` example's Lock made 60,232 events, 1.8 s of CPU to record and a 7.3 MB page.
 */
const UNRECORDED: Record<string, string> = {
  lock: "its 2,000,000 lock calls would be some 6,000,000 events: minutes to record, and a page too big to open",
};

interface Outcome {
  ok: boolean;
  seconds: number;
  why: string;
  output: string;
}

/**
 * Runs one example (60 s at most), under the recorder unless UNRECORDED says why not. Its output is the terminal's when it runs alone, else
 * a file that is its stdout and stderr both, so that its lines stay in the order they were written.
 */
function run(name: string): Promise<Outcome> {
  const started = performance.now();
  const kept = join(here, `${name}.output.txt`);
  const fd = alone ? undefined : openSync(kept, "w");
  const unrecorded = UNRECORDED[name];
  const recorder = unrecorded === undefined ? ["--import", register] : [];
  const child = spawn(process.execPath, [...recorder, join(here, `${name}.js`)], {
    stdio: fd === undefined ? "inherit" : ["ignore", fd, fd],
    timeout: 60_000,
    env: {
      ...process.env,
      THREADKIT_TRACE_OUT: relative(process.cwd(), join(here, `${name}.timeline.html`)),
      THREADKIT_TRACE_TITLE: `threadkit example ${name}`,
    },
  });
  if (fd !== undefined) closeSync(fd); // the child has its own
  const said = unrecorded === undefined ? "" : `no timeline: ${unrecorded}\n`;
  if (said && alone) child.on("close", () => process.stderr.write(said));
  const output = () => (fd === undefined ? "" : readFileSync(kept, "utf8") + said);
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ ok: false, seconds: 0, why: error.message, output: output() }));
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      const why = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ ok: code === 0, seconds, why, output: output() });
    });
  });
}

// Two lanes take the examples in order; each example's outcome is printed as soon as those before it are.
const outcomes = chosen.map(() => {
  let resolve: (outcome: Outcome) => void = () => {};
  const promise = new Promise<Outcome>((r) => (resolve = r));
  return { promise, resolve };
});
let next = 0;
async function lane(): Promise<void> {
  for (let i = next++; i < chosen.length; i = next++) outcomes[i]?.resolve(await run(chosen[i] as string));
}
void Promise.all(alone ? [lane()] : [lane(), lane()]);

const results: (Outcome & { name: string })[] = [];
const started = performance.now();
for (const [i, name] of chosen.entries()) {
  const outcome = await (outcomes[i] as { promise: Promise<Outcome> }).promise;
  if (!alone) process.stdout.write(`\n=== ${name} (${outcome.seconds.toFixed(1)} s)\n\n${outcome.output}`);
  results.push({ name, ...outcome });
}

if (!alone) {
  console.log("\n=== summary\n");
  for (const r of results) {
    const status = r.ok ? "ok  " : "FAIL";
    console.log(
      `${status} ${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(5)} s${r.ok ? "" : `  (${r.why})`}`,
    );
  }
  const failed = results.filter((r) => !r.ok).length;
  const wall = (performance.now() - started) / 1000;
  console.log(`\n${results.length - failed} passed, ${failed} failed, in ${wall.toFixed(1)} s`);
} else if (!results[0]?.ok) {
  console.error(`${chosen[0]} failed (${results[0]?.why})`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
