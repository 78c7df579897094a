/**
 * Worker entry of the threads tier's contract agents: imports every module of test/contract/bodies/, runs the
 * export named `body` with the args (handles made live primitives), and posts `started`, then the outcome.
 * While it runs, `status[0]` says how many async waits on threads primitives it has pending (so the test's
 * settle() can tell an agent parked on a primitive from one still on its way).
 */
import { readdirSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { fromHandle, isHandle } from "../../src/threads/handle.ts";
import { pendingWaits } from "../../src/threads/runtime.ts";

type Body = (...args: unknown[]) => Promise<unknown>;

const { body, args, status } = workerData as { body: string; args: unknown[]; status: Int32Array };
const dir = new URL("../contract/bodies/", import.meta.url);
const modules = await Promise.all(
  readdirSync(dir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => import(new URL(file, dir).href) as Promise<Record<string, unknown>>),
);
const fn = modules.map((m) => m[body]).find((f) => typeof f === "function") as Body | undefined;
const live = args.map((a) => (isHandle(a) ? fromHandle(a) : a));
setInterval(() => Atomics.store(status, 0, pendingWaits()), 2).unref();
parentPort!.postMessage({ started: true });
try {
  if (fn === undefined) throw new Error(`no body named ${body} in test/contract/bodies/`);
  parentPort!.postMessage({ ok: await fn(...live) });
} catch (e) {
  const error = e as { name?: string; code?: string; message?: string };
  parentPort!.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
}
