/**
 * The deadlock switch of the browser build (package.json's "browser" field puts it in place of
 * ./deadlock.ts for bundlers that target browsers), which has no deadlock detection: a page never goes idle
 * the way a process does before it exits, and detection is off in a browser by default. Asking for it
 * there says so rather than leave the caller believing it is on.
 */
import { RuntimeError } from "../api/errors.ts";
import type * as On from "./deadlock.ts";

export type { ResourceKind } from "./deadlock.ts";

export const detection: typeof On.detection = { on: false };

export const setDeadlockDetection: typeof On.setDeadlockDetection = (on) => {
  if (typeof on !== "boolean") throw new TypeError("on must be a boolean");
  if (on)
    throw new RuntimeError(
      "this is threadkit's browser build, which has no deadlock detection (it is in the build for Node, Deno and Bun)",
    );
};
