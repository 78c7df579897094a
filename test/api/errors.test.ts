import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as tk from "../../src/index.ts";
import { errorFromRecord } from "../../src/internal/error-record.ts";

const table = [
  [tk.RuntimeError, "ERR_RUNTIME", "RuntimeError"],
  [tk.ValueError, "ERR_VALUE", "ValueError"],
  [tk.BrokenBarrierError, "ERR_BROKEN_BARRIER", "BrokenBarrierError"],
  [tk.QueueEmpty, "ERR_QUEUE_EMPTY", "QueueEmpty"],
  [tk.QueueFull, "ERR_QUEUE_FULL", "QueueFull"],
  [tk.QueueShutDown, "ERR_QUEUE_SHUT_DOWN", "QueueShutDown"],
  [tk.TimeoutError, "ERR_TIMEOUT", "TimeoutError"],
  [tk.OwnerDiedError, "ERR_OWNER_DIED", "OwnerDiedError"],
  [tk.DeadlockError, "ERR_DEADLOCK", "DeadlockError"],
] as const;

describe("errors", () => {
  for (const [Class, code, name] of table) {
    it(`${name} has code ${code}, its name, and extends ThreadingError and Error`, () => {
      const error = new Class("message");
      assert.equal(error.code, code);
      assert.equal(error.name, name);
      assert.equal(error.message, "message");
      assert.ok(error instanceof tk.ThreadingError);
      assert.ok(error instanceof Error);
      assert.match(String(error), new RegExp(`^${name}: message$`));
      assert.ok(typeof error.stack === "string");
    });
  }

  it("BrokenBarrierError is a RuntimeError, as in Python", () => {
    assert.ok(new tk.BrokenBarrierError() instanceof tk.RuntimeError);
  });

  it("every thrown error is a fresh instance", async () => {
    const lock = new tk.Lock();
    const errors = [];
    for (let i = 0; i < 2; i++) {
      try {
        lock.release();
      } catch (error) {
        errors.push(error);
      }
    }
    assert.equal(errors.length, 2);
    assert.notEqual(errors[0], errors[1]);
    const q = new tk.Queue();
    const [a, b] = await Promise.allSettled([q.get({ timeout: 0 }), q.get({ timeout: 0 })]);
    assert.ok(a.status === "rejected" && b.status === "rejected");
    assert.notEqual(a.reason, b.reason);
  });

  it("errors that crossed a thread or Redis as { code, message } are rebuilt with their class", () => {
    for (const [Class, code] of table) {
      const rebuilt = errorFromRecord({ code, message: "from afar" });
      assert.ok(rebuilt instanceof Class);
      assert.equal(rebuilt.message, "from afar");
    }
    const unknown = errorFromRecord({ code: "ERR_SOMETHING_NEW", message: "?" });
    assert.equal(unknown.constructor, tk.ThreadingError);
  });
});
