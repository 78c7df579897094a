/** Worker of the owner-died Condition test: takes the Condition's lock, notifies, and dies holding it. */
import { workerData } from "node:worker_threads";
import type { Condition } from "../../src/threads/condition.ts";
import { fromHandle, type Handle } from "../../src/threads/handle.ts";

const cond = fromHandle(workerData.cond as Handle<"Condition">) as Condition;
cond.acquireSync();
cond.notify();
throw new Error("the notifier dies holding the lock");
