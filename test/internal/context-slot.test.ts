/**
 * The context slot where the runtime has no AsyncLocalStorage (a browser's main thread): a value holds for
 * the synchronous part of run(); while a run's promise is pending, get() elsewhere cannot tell whose code is
 * running, and throws a RuntimeError that says what to use instead, never a wrong answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError } from "../../src/api/errors.ts";
import { contextSlot, NO_CONTEXT } from "../../src/internal/runtime.ts";

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("context slot without AsyncLocalStorage", () => {
  it("says it does not follow await, and gives the value in the synchronous part of run()", () => {
    const slot = contextSlot<string>(false);
    assert.equal(slot.follows(), false);
    assert.equal(slot.get(), undefined);
    assert.equal(
      slot.run("a", () => slot.run("b", () => slot.get())),
      "b",
    );
    assert.equal(
      slot.run("a", () => slot.get()),
      "a",
    );
    assert.equal(slot.get(), undefined, "nothing pending: outside any run");
  });

  it("throws RuntimeError (what to use instead) while a run is pending, answers again once it settled", async () => {
    const slot = contextSlot<string>(false);
    let inside: unknown;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = slot.run("thread", async () => {
      await gate;
      try {
        return slot.get();
      } catch (error) {
        inside = error;
      }
    });
    assert.throws(
      () => slot.get(),
      (e: unknown) => e instanceof RuntimeError && e.message === NO_CONTEXT,
    );
    assert.match(NO_CONTEXT, /new Condition\(new Lock\(\)\)/);
    release();
    await running;
    assert.ok(inside instanceof RuntimeError, "the run's own continuation cannot be told apart either");
    await turn();
    assert.equal(slot.get(), undefined);
  });

  it("a run whose promise rejects stops counting as pending", async () => {
    const slot = contextSlot<string>(false);
    const failing = slot.run("x", async () => {
      await turn();
      throw new Error("the body fails");
    });
    await assert.rejects(failing, /the body fails/);
    await turn();
    assert.equal(slot.get(), undefined);
  });

  it("with AsyncLocalStorage the value follows await", async () => {
    const slot = contextSlot<string>();
    assert.equal(slot.follows(), true);
    const seen = await slot.run("t", async () => {
      await turn();
      return slot.get();
    });
    assert.equal(seen, "t");
  });
});
