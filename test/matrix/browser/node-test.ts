/**
 * The part of node:test the suites use (describe, it, before, after, beforeEach, afterEach), for a browser:
 * tests register as their modules load, then `runAll()` runs them in order, one at a time, each with a
 * deadline, and reports each result to `report`.
 */
type Fn = () => unknown;

interface Suite {
  name: string;
  tests: (Suite | Test)[];
  before: Fn[];
  after: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
}
interface Test {
  name: string;
  fn: Fn;
  skip: boolean;
}

const root: Suite = { name: "", tests: [], before: [], after: [], beforeEach: [], afterEach: [] };
let current = root;

type Options = { skip?: boolean; timeout?: number };

function args(a: unknown, b: unknown): { options: Options; fn: Fn } {
  return typeof a === "function"
    ? { options: {}, fn: a as Fn }
    : { options: (a ?? {}) as Options, fn: b as Fn };
}

export function describe(name: string, a?: unknown, b?: unknown): void {
  const { fn } = args(a, b);
  const suite: Suite = { name, tests: [], before: [], after: [], beforeEach: [], afterEach: [] };
  current.tests.push(suite);
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}

export function it(name: string, a?: unknown, b?: unknown): void {
  const { options, fn } = args(a, b);
  current.tests.push({ name, fn, skip: options.skip === true });
}
export const test = it;
export const before = (fn: Fn) => current.before.push(fn);
export const after = (fn: Fn) => current.after.push(fn);
export const beforeEach = (fn: Fn) => current.beforeEach.push(fn);
export const afterEach = (fn: Fn) => current.afterEach.push(fn);

export interface Outcome {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

const DEADLINE = 120_000;

async function call(fn: Fn): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(fn),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${DEADLINE} ms`)), DEADLINE);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/** Runs every registered test; the hooks of the enclosing suites around each. */
export async function runAll(report: (outcome: Outcome) => void): Promise<void> {
  async function runSuite(suite: Suite, path: string[], eachBefore: Fn[], eachAfter: Fn[]): Promise<void> {
    const names = suite.name === "" ? path : [...path, suite.name];
    const befores = [...eachBefore, ...suite.beforeEach];
    const afters = [...suite.afterEach, ...eachAfter];
    try {
      for (const fn of suite.before) await call(fn);
    } catch (error) {
      report({ name: `${names.join(" > ")} (before)`, ok: false, error: describeError(error), ms: 0 });
      return;
    }
    for (const t of suite.tests) {
      if ("tests" in t) {
        await runSuite(t, names, befores, afters);
        continue;
      }
      if (t.skip) continue;
      const name = [...names, t.name].join(" > ");
      const t0 = performance.now();
      try {
        for (const fn of befores) await call(fn);
        await call(t.fn);
        for (const fn of afters) await call(fn);
        report({ name, ok: true, ms: performance.now() - t0 });
      } catch (error) {
        report({ name, ok: false, error: describeError(error), ms: performance.now() - t0 });
      }
    }
    for (const fn of suite.after) {
      try {
        await call(fn);
      } catch (error) {
        report({ name: `${names.join(" > ")} (after)`, ok: false, error: describeError(error), ms: 0 });
      }
    }
  }
  await runSuite(root, [], [], []);
}
