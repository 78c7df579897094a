/**
 * Runs the examples (`npm run examples`), or those named (`npm run example -- candy-machine`), each in a
 * process of its own, then prints a summary; exits 1 if any failed. One example runs with the terminal as
 * its output; several run two at a time (most of an example's time is threads starting), each one's output
 * kept and printed whole, in order. It runs from build/examples/, where `npm run examples` compiled this
 * folder: a Thread's body is a module, and a compiled one starts in a fraction of the time a .ts one takes.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
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

interface Outcome {
  ok: boolean;
  seconds: number;
  why: string;
  output: string;
}

/** Runs one example (60 s at most); its output is the terminal's when it runs alone, else kept. */
function run(name: string): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(here, `${name}.js`)], {
    stdio: alone ? "inherit" : ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let output = "";
  // One pipe for both would keep their order; two pipes read here may swap a line of each.
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (output += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (output += s));
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ ok: false, seconds: 0, why: error.message, output }));
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      const why = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ ok: code === 0, seconds, why, output });
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
