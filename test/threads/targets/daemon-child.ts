/**
 * Run as a child process by ../thread.test.ts. `daemon`: the main thread starts a daemon thread that never
 * ends, waits until it runs, and ends: the process must exit anyway. `plain`: the same with a non-daemon
 * thread that ends after 500 ms: the process must wait for it.
 */
import { Event, Thread } from "../../../src/threads/index.ts";

const daemon = process.argv[2] === "daemon";
const started = new Event();
const thread = new Thread({
  target: new URL("./keepalive.ts", import.meta.url),
  export: daemon ? "forever" : "lingers",
  args: [started],
  daemon,
});
thread.start();
if (!started.waitSync({ timeout: 20_000 })) throw new Error("the thread never started");
console.log(`main done at ${Math.round(performance.now())}`);
