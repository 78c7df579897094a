/**
 * A contract agent of the Redis tier: a child process that connects to the test's server (TK_REDIS_URL, with
 * node-redis, or ioredis when TK_CLIENT=ioredis) and,
 * for each `run` message, runs the named export of test/contract/bodies/ with the primitives rebuilt by
 * name, as a task of its own (an RLock owner of its own), then answers its outcome. It answers `ping` with
 * how many of its calls are still on their way (0: every waiter here is parked on the server).
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import * as tk from "../../src/redis/index.ts";
import { task } from "../../src/redis/owner.ts";
import { busy } from "../../src/redis/waker.ts";
import * as barrier from "../contract/bodies/barrier.ts";
import * as condition from "../contract/bodies/condition.ts";
import * as event from "../contract/bodies/event.ts";
import * as lock from "../contract/bodies/lock.ts";
import * as queue from "../contract/bodies/queue.ts";
import * as rlock from "../contract/bodies/rlock.ts";
import * as semaphore from "../contract/bodies/semaphore.ts";
import { isDescribed, rebuild } from "./wire.ts";

type Body = (...args: unknown[]) => Promise<unknown>;

const url = process.env.TK_REDIS_URL!;
if (process.env.TK_CLIENT === "ioredis") {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on("error", () => {});
  await new Promise((resolve) => client.once("ready", resolve));
  tk.setDefaultClient(client);
} else {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  tk.setDefaultClient(client);
}
if (process.env.TK_TIMING) tk.configure(JSON.parse(process.env.TK_TIMING));

const modules: Record<string, unknown>[] = [barrier, condition, event, lock, queue, rlock, semaphore];

let running = 0;
process.on("message", (m: { run?: number; body?: string; args?: unknown[]; ping?: number }) => {
  if (m.ping !== undefined) {
    process.send!({ pong: m.ping, busy: busy(), running });
    return;
  }
  if (m.run === undefined) return;
  const id = m.run;
  running++;
  const fn = modules.map((mod) => mod[m.body!]).find((f) => typeof f === "function") as Body | undefined;
  task(async () => {
    if (fn === undefined) throw new Error(`no body named ${m.body} in test/contract/bodies/`);
    return fn(...m.args!.map((a) => (isDescribed(a) ? rebuild(a) : a)));
  }).then(
    (ok) => {
      running--;
      process.send!({ done: id, ok });
    },
    (e: { name?: string; code?: string; message?: string }) => {
      running--;
      process.send!({ done: id, error: { name: e?.name, code: e?.code, message: e?.message ?? String(e) } });
    },
  );
});
process.send!({ ready: true });
