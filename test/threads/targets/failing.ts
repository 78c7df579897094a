/** Targets that end badly, each its own way. */
import "./booted.ts";
import { ValueError } from "../../../src/threads/index.ts";

export function throws(): never {
  throw new TypeError("sync boom");
}

export async function rejects(): Promise<never> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new ValueError("async boom");
}

export function exits(): void {
  process.exit(3);
}

/** Ends the worker with an uncaught error outside the target, while the target still waits. */
export function strays(): Promise<void> {
  setTimeout(() => {
    throw new RangeError("stray boom");
  }, 1);
  return new Promise(() => {});
}

/** Takes `lock` (or a permit of it), then throws while holding it. */
export function throwsHolding(lock: { acquireSync(): boolean }): never {
  lock.acquireSync();
  throw new TypeError("boom, holding it");
}

/** Takes `lock` (or a permit of it), then rejects while holding it. */
export async function rejectsHolding(lock: { acquireSync(): boolean }): Promise<never> {
  lock.acquireSync();
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new TypeError("async boom, holding it");
}
