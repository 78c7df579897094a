/**
 * Imported by every target: tells the test's `booted()` (../spawn.ts) that this worker has loaded its target,
 * so that deadlines which follow leave its start-up out. Does nothing where the test did not set it up.
 */
import { getEnvironmentData, threadId } from "node:worker_threads";

const words = getEnvironmentData("threadkit-test:booted");
if (words instanceof SharedArrayBuffer) {
  Atomics.store(new Int32Array(words), threadId % (words.byteLength / 4), threadId + 1);
}
