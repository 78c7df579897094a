/** Worker entry: runs one export of ./tasks.ts with the args it was sent (handles made live), posts the outcome. */
import { parentPort, workerData } from "node:worker_threads";
import { fromHandle, isHandle } from "../../src/threads/handle.ts";
import * as tasks from "./tasks.ts";

const { name, args } = workerData as { name: keyof typeof tasks; args: unknown[] };
const live = args.map((a) => (isHandle(a) ? fromHandle(a) : a));
try {
  const table = { ...tasks } as Record<string, (...a: unknown[]) => unknown>;
  const ok = await table[name]!(...live);
  parentPort!.postMessage({ ok });
} catch (e) {
  const error = e as { name?: string; code?: string; message?: string };
  parentPort!.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
}
