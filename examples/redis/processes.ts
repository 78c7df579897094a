/**
 * The main process of a Redis example: a redis-server (REDIS_URL, or one of its own on a loopback port,
 * stopped at the end), this process's client, and the child processes it starts, which are killed however
 * the program ends (it fails, a child fails, it is interrupted), so that none outlives it. A child gets the
 * server's address as REDIS_URL (see ./child.ts). When this process records its timeline (the recorder on, as
 * `npm run example` and `npx threadkit trace` run it), each child records its own beside it:
 * `NAME.timeline.html` becomes `NAME.<child>.timeline.html`, one page per process.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createClient } from "redis";
import { setDefaultClient } from "threadkit/redis";
import { redisFromEnv } from "../../tools/redis-server.ts";

/** Starts a child process running `module`; resolves once it has exited with code 0, else rejects. */
export type Start = (name: string, module: URL, args: string[]) => Promise<void>;

/** This process's timeline (THREADKIT_TRACE_OUT, set while the recorder is on), or undefined. */
const timeline = process.env.THREADKIT_TRACE_OUT || undefined;
/** The recorder's entry for `--import`, as the one this process was started with. */
const register = new URL("./register.js", import.meta.resolve("threadkit/trace")).href;

/** Where child `name` writes its timeline: beside this process's, named after it. */
function timelineOf(name: string): string {
  const base = (timeline as string).replace(/(\.timeline)?\.html$/, "");
  return `${base}.${name.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}.timeline.html`;
}

/**
 * Runs `main` with a server and a connected client, set as the default one of threadkit/redis; `start` forks
 * a child process. A child that fails fails the program at once: what `main` waits for might never come.
 * Then the children still alive are killed, the client closed and the server stopped.
 */
export async function withRedis(main: (start: Start) => Promise<void>): Promise<void> {
  const server = await redisFromEnv();
  const children = new Set<ChildProcess>();
  const killAll = () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  // Interrupted: the children and the server go too (a SIGINT at the terminal reaches the children anyway).
  const interrupted = (signal: NodeJS.Signals) => {
    killAll();
    void server.stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", interrupted).once("SIGTERM", interrupted).once("exit", killAll);

  let failed: (error: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const written: string[] = [];
  const start: Start = (name, module, args) => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: server.url };
    if (timeline !== undefined) {
      env.THREADKIT_TRACE_OUT = timelineOf(name);
      env.THREADKIT_TRACE_TITLE = `${process.env.THREADKIT_TRACE_TITLE || "threadkit timeline"}, ${name}`;
      written.push(env.THREADKIT_TRACE_OUT);
    }
    const child = fork(module, args, {
      // Compiled JavaScript: no loader; the recorder only while this process records (a timeline each).
      execArgv: timeline === undefined ? [] : ["--import", register],
      env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.add(child);
    const ended = new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`${name} ended with ${signal ?? `exit code ${code}`}`)),
      );
    });
    ended.catch(failed);
    return ended;
  };

  const client = createClient({ url: server.url });
  try {
    await client.connect();
    setDefaultClient(client);
    await Promise.race([main(start), failure]);
    if (written.length > 0) console.log(`the child processes' timelines: ${written.join(", ")}`);
  } finally {
    killAll();
    if (client.isOpen) await client.close();
    await server.stop();
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted).off("exit", killAll);
  }
}
