/**
 * Imported by every target: tells the test's `booted()` (../spawn.ts) that this worker has loaded its target,
 * so that deadlines which follow leave its start-up out. Does nothing where the test did not set it up.
 */
import * as workerThreads from "node:worker_threads";

const words = workerThreads.getEnvironmentData?.("threadkit-test:booted");
if (words instanceof SharedArrayBuffer) {
  const id = workerThreads.threadId;
  Atomics.store(new Int32Array(words), id % (words.byteLength / 4), id + 1);
}
