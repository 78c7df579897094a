/** Test helpers shared by every suite. Deadlines are generous: they catch hangs, never race a result. */
import assert from "node:assert/strict";

/** Rejects if `promise` has not settled within `ms` (default 10 s): a deadlock fails the test, not CI. */
export async function within<T>(promise: Promise<T>, ms = 10_000, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` is still pending after the given settling step (e.g. `tier.agents.settle`). */
export async function isPending(promise: Promise<unknown>, settle: () => Promise<void>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await settle();
  return !settled;
}

/** Asserts that `promise` rejects with an instance of `Class` (and `code`/`message` when given). */
export async function rejectsWith(
  promise: Promise<unknown>,
  Class: abstract new (...args: never[]) => Error,
  expected: { code?: string; message?: string | RegExp } = {},
): Promise<Error> {
  const error = await promise.then(
    () => assert.fail(`expected a ${Class.name}, but it resolved`),
    (e: unknown) => e,
  );
  checkError(error, Class, expected);
  return error as Error;
}

/** Asserts that `fn` throws (synchronously, or through a returned promise) an instance of `Class`. */
export async function throwsWith(
  fn: () => unknown,
  Class: abstract new (...args: never[]) => Error,
  expected: { code?: string; message?: string | RegExp } = {},
): Promise<Error> {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    checkError(error, Class, expected);
    return error as Error;
  }
  return rejectsWith(Promise.resolve(result), Class, expected);
}

function checkError(
  error: unknown,
  Class: abstract new (...args: never[]) => Error,
  expected: { code?: string; message?: string | RegExp },
): void {
  assert.ok(error instanceof Class, `expected a ${Class.name}, got ${String(error)}`);
  if (expected.code !== undefined) assert.equal((error as { code?: string }).code, expected.code);
  if (typeof expected.message === "string") assert.equal(error.message, expected.message);
  else if (expected.message) assert.match(error.message, expected.message);
}

/** Resolves after `ms` ms: only for letting real time pass (timeouts), never to order two events. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An AbortSignal that is already aborted, with a recognisable reason. */
export function abortedSignal(reason: unknown = new Error("aborted before the call")): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}
