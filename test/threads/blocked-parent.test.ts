/**
 * No recovery depends on the event loop of a thread that may itself be waiting: a thread that terminated its
 * own worker while that worker held a primitive's GUARD, and then blocks on that GUARD (a release() of a
 * program that otherwise only makes async calls), records the death itself and goes on, instead of waiting
 * for an "exit" event that only its own blocked event loop could deliver.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { startWorker, terminateAll, withinBooted } from "./spawn.ts";

after(terminateAll);

function next<T>(worker: Worker, key: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) {
        worker.off("message", onMessage);
        resolve(m[key] as T);
      }
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
  });
}

describe("threads: a parent blocked on what its terminated worker held", () => {
  it("a thread blocked on a GUARD held by its own terminated worker records the death and takes GUARD over", async () => {
    const parent = startWorker(new URL("./blocked-parent-worker.ts", import.meta.url));
    const released = next<boolean>(parent, "released");
    const got = next<boolean>(parent, "got");
    assert.equal(await withinBooted(released, 20_000, "the release"), true);
    assert.equal(
      await withinBooted(got, 20_000, "the acquire"),
      true,
      "the released permit was handed to the waiter",
    );
  });
});
