/**
 * What a page or worker of the browser run does once its suites have registered: runs them, and hands the
 * results to the driver (./../browser.ts) through `globalThis.__results` (a page) or a message (a worker).
 */
import { type Outcome, runAll } from "./node-test.ts";

// The local tier's contract agents settle with setImmediate, which browsers lack: a macrotask does.
const g = globalThis as { setImmediate?: (fn: () => void) => void };
if (g.setImmediate === undefined) {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  g.setImmediate = (fn) => {
    queue.push(fn);
    channel.port2.postMessage(0);
  };
}

export interface Results {
  passed: number;
  failed: number;
  failures: Outcome[];
}

export async function run(): Promise<Results> {
  const results: Results = { passed: 0, failed: 0, failures: [] };
  await runAll((outcome) => {
    if (outcome.ok) results.passed++;
    else {
      results.failed++;
      results.failures.push(outcome);
    }
    console.log(`${outcome.ok ? "ok" : "FAILED"} ${outcome.name}${outcome.ok ? "" : `\n${outcome.error}`}`);
  });
  return results;
}
