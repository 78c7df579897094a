/** The preamble of the blocking `...Sync` forms: the same checks as the async forms, thrown instead of rejected. */
import type { WaitOptions } from "../api/options.ts";
import { waitTime } from "../internal/checks.ts";

/**
 * Validates the options and returns how long the call may block, in ms. An already-aborted signal throws its
 * reason at once. A signal cannot interrupt a blocked thread (its abort event would need the very event loop
 * that is blocked), so after this check the signal plays no part: use a timeout, or the async form.
 */
export function admitSync(opts: WaitOptions | undefined, fallback?: number): number {
  const ms = waitTime(opts, fallback);
  const signal = opts?.signal;
  if (signal?.aborted) throw signal.reason;
  return ms;
}
