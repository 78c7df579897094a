/** Targets that end badly, each its own way. */
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
