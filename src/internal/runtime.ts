import { RuntimeError } from "../api/errors.ts";

/**
 * The runtime adapter: the one place that reaches for Node-only modules, so the local tier still loads in
 * Deno, Bun and browsers. `process.getBuiltinModule` is synchronous and exists in Node >= 20.16, Deno and Bun.
 */

/** A value that follows the logical flow of async code (AsyncLocalStorage where the runtime has it). */
export interface ContextSlot<T> {
  get(): T | undefined;
  run<R>(value: T, fn: () => R): R;
  /** Whether the value follows `fn` across await (the runtime has AsyncLocalStorage). */
  follows(): boolean;
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
 * What a runtime without AsyncLocalStorage (a browser) says when asked who is running while that cannot be
 * known: after an `await`, code of a Thread (or of an `rlock.run()`) and code outside it look the same.
 */
export const NO_CONTEXT =
  "this runtime has no AsyncLocalStorage, so currentThread() and RLock ownership cannot follow a Thread or an " +
  "rlock.run() across await while one is running: use a Lock (and a Condition over a Lock, " +
  "new Condition(new Lock())) instead of an RLock, and pass the Thread along instead of calling currentThread()";

/**
 * Creates a context slot. The AsyncLocalStorage behind it is made on the first `run()`: in Node 20 an active
 * AsyncLocalStorage installs promise hooks that slow every promise in the process, so programs that never
 * start a Thread or an RLock scope never pay for it. `useAls: false` makes one without (for tests).
 *
 * Without AsyncLocalStorage the value holds for the synchronous part of `fn`. While the promise `fn` returned
 * is pending, other code cannot be told from `fn`'s own continuations, so `get()` outside a synchronous part
 * throws a RuntimeError (`NO_CONTEXT`) rather than answer wrongly; with nothing pending it is undefined.
 */
export function contextSlot<T>(useAls = true): ContextSlot<T> {
  let als: AsyncLocalStorageLike<T> | undefined;
  let tried = !useAls;
  let sync: T | undefined;
  let inside = 0; // synchronous parts of run() on the stack
  let pending = 0; // promises of run() not settled yet
  const settled = () => {
    pending--;
  };
  return {
    get(): T | undefined {
      if (als !== undefined) return als.getStore();
      if (inside === 0 && pending > 0) throw new RuntimeError(NO_CONTEXT);
      return sync;
    },
    follows(): boolean {
      if (!tried) {
        tried = true;
        const Als = loadAls();
        if (Als !== undefined) als = new Als<T>();
      }
      return als !== undefined;
    },
    run<R>(value: T, fn: () => R): R {
      if (this.follows()) return als!.run(value, fn);
      const saved = sync;
      sync = value;
      inside++;
      try {
        const result = fn();
        if (result instanceof Promise) {
          pending++;
          result.then(settled, settled);
        }
        return result;
      } finally {
        inside--;
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

/** The parts of node:diagnostics_channel the tracing uses (Node, Deno and Bun have it; a browser has not). */
export interface DiagnosticsChannelLike {
  channel(name: string): ChannelLike;
  tracingChannel(name: string): TracingChannelLike;
}
export interface ChannelLike {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}
export interface TracingChannelLike {
  readonly start: ChannelLike;
  readonly end: ChannelLike;
  readonly asyncStart: ChannelLike;
  readonly asyncEnd: ChannelLike;
  readonly error: ChannelLike;
  tracePromise<R>(fn: () => Promise<R>, context: object): Promise<R>;
  traceSync<R>(fn: () => R, context: object): R;
}

/** node:diagnostics_channel, or undefined where the runtime has none. */
export function diagnosticsChannel(): DiagnosticsChannelLike | undefined {
  try {
    const dc = getBuiltin?.("node:diagnostics_channel") as DiagnosticsChannelLike | undefined;
    return typeof dc?.tracingChannel === "function" ? dc : undefined;
  } catch {
    return undefined;
  }
}

/** This OS thread's id (node:worker_threads' threadId: 0 on the main thread), without loading a tier. */
export function osThread(): { id: number; main: boolean } {
  try {
    const wt = getBuiltin?.("node:worker_threads") as
      | { threadId?: number; isMainThread?: boolean }
      | undefined;
    return { id: wt?.threadId ?? 0, main: wt?.isMainThread ?? true };
  } catch {
    return { id: 0, main: true };
  }
}
