/** The part of node:assert/strict the suites use, for a browser: strict equality and deep equality. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

function show(value: unknown): string {
  try {
    return typeof value === "string"
      ? JSON.stringify(value)
      : typeof value === "bigint"
        ? `${value}n`
        : String(JSON.stringify(value) ?? value);
  } catch {
    return String(value);
  }
}

function failWith(message: string | Error | undefined, fallback: string): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback);
}

function deepEqualValues(a: unknown, b: unknown, seen: Map<object, object>): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof Map) {
    const m = b as Map<unknown, unknown>;
    if (a.size !== m.size) return false;
    for (const [k, v] of a) if (!m.has(k) || !deepEqualValues(v, m.get(k), seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    const s = b as Set<unknown>;
    if (a.size !== s.size) return false;
    for (const v of a) if (!s.has(v)) return false;
    return true;
  }
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a instanceof Error && (a.message !== (b as Error).message || a.name !== (b as Error).name))
    return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqualValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen))
      return false;
  }
  return true;
}

type Expected =
  | RegExp
  | (new (
      ...args: never[]
    ) => unknown)
  | ((e: unknown) => boolean)
  | Record<string, unknown>;

function matches(error: unknown, expected: Expected | undefined): boolean {
  if (expected === undefined) return true;
  if (expected instanceof RegExp)
    return (
      expected.test(String(error instanceof Error ? error.message : error)) || expected.test(String(error))
    );
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && error instanceof (expected as new () => unknown)) return true;
    if (expected === Error || expected.prototype instanceof Error) return false;
    return (expected as (e: unknown) => boolean)(error) === true;
  }
  for (const [k, v] of Object.entries(expected)) {
    const got = (error as Record<string, unknown>)[k];
    if (v instanceof RegExp ? !v.test(String(got)) : !deepEqualValues(got, v, new Map())) return false;
  }
  return true;
}

const assert = {
  ok(value: unknown, message?: string | Error): void {
    if (!value) failWith(message, `expected a truthy value, got ${show(value)}`);
  },
  equal(actual: unknown, expected: unknown, message?: string | Error): void {
    if (!Object.is(actual, expected)) failWith(message, `expected ${show(expected)}, got ${show(actual)}`);
  },
  notEqual(actual: unknown, expected: unknown, message?: string | Error): void {
    if (Object.is(actual, expected)) failWith(message, `expected anything but ${show(expected)}`);
  },
  deepEqual(actual: unknown, expected: unknown, message?: string | Error): void {
    if (!deepEqualValues(actual, expected, new Map())) {
      failWith(message, `expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  match(value: string, re: RegExp, message?: string | Error): void {
    if (!re.test(value)) failWith(message, `expected ${show(value)} to match ${re}`);
  },
  fail(message?: string | Error): never {
    return failWith(message, "failed");
  },
  throws(fn: () => unknown, expected?: Expected | string, message?: string): void {
    const want = typeof expected === "string" ? undefined : expected;
    try {
      fn();
    } catch (error) {
      if (!matches(error, want)) failWith(message, `the error thrown does not match: ${String(error)}`);
      return;
    }
    failWith(typeof expected === "string" ? expected : message, "expected a throw");
  },
  async rejects(
    p: Promise<unknown> | (() => Promise<unknown>),
    expected?: Expected | string,
    message?: string,
  ) {
    const want = typeof expected === "string" ? undefined : expected;
    try {
      await (typeof p === "function" ? p() : p);
    } catch (error) {
      if (!matches(error, want)) failWith(message, `the rejection does not match: ${String(error)}`);
      return;
    }
    failWith(typeof expected === "string" ? expected : message, "expected a rejection");
  },
};

export default assert;
export const { ok, equal, notEqual, deepEqual, match, fail, throws, rejects } = assert;
