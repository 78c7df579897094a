/** Default export: the current thread's name (for run() called directly, not on a worker). */
import "./booted.ts";
import { currentThread } from "../../../src/threads/index.ts";

export default function whoami(suffix: string): string {
  return currentThread().name + suffix;
}
