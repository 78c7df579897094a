/**
 * Worker entry of ./dead-waiter.test.ts: parks, blocking, in one wait of the primitive it was sent (`op`),
 * and stays there until the test terminates it. It never answers: the test sees it queue through the
 * primitive's shared FIFO.
 */
import { workerData } from "node:worker_threads";
import type { Barrier } from "../../src/threads/barrier.ts";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";
import type { Queue } from "../../src/threads/queue.ts";

const { op, handle } = workerData as { op: "get" | "put" | "barrier"; handle: Handle };
const live = fromHandle(handle);
if (op === "get") (live as Queue<unknown>).getSync({ timeout: 60_000 });
else if (op === "put") (live as Queue<unknown>).putSync("from the dead", { timeout: 60_000 });
else (live as Barrier).waitSync({ timeout: 60_000 });
