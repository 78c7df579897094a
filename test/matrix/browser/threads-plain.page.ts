/** A page that is not cross-origin isolated: threadkit/threads loads, and says what it needs at first use. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RuntimeError } from "../../../src/api/errors.ts";
import { run } from "./harness.ts";

describe("threads tier on a page without cross-origin isolation", () => {
  it("imports without throwing; making a primitive throws RuntimeError naming the two headers", async () => {
    assert.equal(crossOriginIsolated, false);
    assert.equal(typeof SharedArrayBuffer, "undefined");
    const tk = await import("../../../src/threads/index.ts");
    const clear = (e: unknown) =>
      e instanceof RuntimeError &&
      /cross-origin isolated/.test(e.message) &&
      /Cross-Origin-Embedder-Policy: require-corp/.test(e.message);
    assert.throws(() => new tk.Lock(), clear);
    assert.throws(() => new tk.Queue(), clear);
    assert.throws(() => new tk.Thread({ target: "https://example.invalid/t.js" }), clear);
  });
});

(globalThis as { __results?: unknown }).__results = await run();
