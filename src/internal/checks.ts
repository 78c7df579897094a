/**
 * Argument checks shared by every tier. Each throws a fresh TypeError/RangeError before anything changes;
 * methods that return a promise turn the throw into a rejection.
 */
import type { WaitOptions } from "../api/options.ts";

/**
 * Validates a wait's options and returns how long it may wait, in ms: `Infinity` (forever), `0` (try once)
 * or a positive number. `fallback` is the timeout used when none is given (a Barrier's default).
 */
export function waitTime(opts: WaitOptions | undefined, fallback = Number.POSITIVE_INFINITY): number {
  if (opts === undefined) return fallback;
  if (typeof opts !== "object" || opts === null) throw new TypeError("options must be an object");
  const { timeout, blocking, signal } = opts;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("signal must be an AbortSignal");
  }
  let ms = fallback;
  if (timeout !== undefined) {
    if (typeof timeout !== "number") throw new TypeError("timeout must be a number of milliseconds");
    if (Number.isNaN(timeout)) throw new RangeError("timeout must not be NaN");
    if (timeout < 0) throw new RangeError("timeout must be a non-negative number");
    ms = timeout;
  }
  if (blocking !== undefined) {
    if (typeof blocking !== "boolean") throw new TypeError("blocking must be a boolean");
    if (!blocking) {
      if (timeout !== undefined && timeout !== Number.POSITIVE_INFINITY) {
        throw new TypeError("can't specify a timeout for a non-blocking call");
      }
      return 0;
    }
  }
  return ms;
}

/** A whole number >= min, for semaphore values, release counts, notify counts and parties. */
export function checkCount(value: unknown, what: string, min: number): number {
  if (typeof value !== "number") throw new TypeError(`${what} must be a number`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(min === 0 ? `${what} must be >= 0` : `${what} must be an integer >= ${min}`);
  }
  return value;
}

/**
 * The preamble of every waiting call that returns a promise: the wait time in ms, or, for bad options or an
 * already-aborted signal, the rejected promise to return instead (nothing has changed yet).
 */
export function admit(opts: WaitOptions | undefined, fallback?: number): number | Promise<never> {
  if (opts === undefined) return fallback ?? Number.POSITIVE_INFINITY; // the common call, first
  let ms: number;
  try {
    ms = waitTime(opts, fallback);
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = opts?.signal;
  return signal?.aborted ? Promise.reject(signal.reason) : ms;
}
