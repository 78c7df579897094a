/**
 * The browser build, as a bundler that targets browsers makes it (package.json's "browser" field): no
 * tracing, no deadlock detection, and asking for detection says so. Everything else is the contract
 * suites' on this same page.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError } from "../../../src/api/errors.ts";
import { Lock, setDeadlockDetection } from "../../../src/index.ts";
import { probe } from "../../../src/internal/probe.ts";

describe("the browser build", () => {
  it("has the probe that never traces", () => {
    assert.equal(probe.on, false);
    const lock = new Lock();
    assert.equal(lock.tryAcquire(), true);
    lock.release();
    assert.equal(probe.on, false);
  });

  it("refuses to switch deadlock detection on, saying why, and accepts switching it off", () => {
    assert.throws(
      () => setDeadlockDetection(true),
      (e: unknown) => e instanceof RuntimeError && /browser build.*no deadlock detection/.test(e.message),
    );
    setDeadlockDetection(false);
    assert.throws(() => setDeadlockDetection("yes" as unknown as boolean), TypeError);
  });
});
