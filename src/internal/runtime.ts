/**
 * The runtime adapter: the one place that reaches for Node-only modules, so the local tier still loads in
 * Deno, Bun and browsers. `process.getBuiltinModule` is synchronous and exists in Node >= 20.16, Deno and Bun.
 */

/** A value that follows the logical flow of async code (AsyncLocalStorage where the runtime has it). */
export interface ContextSlot<T> {
  get(): T | undefined;
  run<R>(value: T, fn: () => R): R;
}

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

type AlsClass = new <T>() => AsyncLocalStorageLike<T>;

const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  ?.getBuiltinModule;

function loadAls(): AlsClass | undefined {
  try {
    return (getBuiltin?.("node:async_hooks") as { AsyncLocalStorage?: AlsClass } | undefined)
      ?.AsyncLocalStorage;
  } catch {
    return undefined;
  }
}

/**
 * Creates a context slot. The AsyncLocalStorage behind it is made on the first `run()`: in Node 20 an active
 * AsyncLocalStorage installs promise hooks that slow every promise in the process, so programs that never
 * start a Thread or an RLock scope never pay for it. Without AsyncLocalStorage the value holds only for the
 * synchronous part of `fn`.
 */
export function contextSlot<T>(): ContextSlot<T> {
  let als: AsyncLocalStorageLike<T> | undefined;
  let sync: T | undefined;
  return {
    get: () => (als === undefined ? sync : als.getStore()),
    run<R>(value: T, fn: () => R): R {
      if (als === undefined) {
        const Als = loadAls();
        if (Als !== undefined) als = new Als<T>();
      }
      if (als !== undefined) return als.run(value, fn);
      const saved = sync;
      sync = value;
      try {
        return fn();
      } finally {
        sync = saved;
      }
    },
  };
}

/** Where uncaught errors of threads are reported (stderr on Node; the console elsewhere). */
export function reportError(text: string): void {
  console.error(text);
}

/**
 * How a thread's uncaught error reads in its report: its stack, else its string form. Anything may be
 * thrown, also a value that will not become a string (`Object.create(null)`, a throwing `toString`): as
 * Python's "<exception str() failed>", the report then says so instead of failing itself.
 */
export function describeError(error: unknown): string {
  try {
    return error instanceof Error && error.stack ? error.stack : String(error);
  } catch {
    return `<a thrown ${typeof error} that cannot be shown>`;
  }
}
