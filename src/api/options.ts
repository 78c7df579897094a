/** The one options bag of every call that can wait. */
export interface WaitOptions {
  /** Milliseconds. Omitted or `Infinity`: wait forever. `0`: try once, never wait. */
  timeout?: number;
  /** Aborting it rejects the pending call with `signal.reason`, as if the call had never been made. */
  signal?: AbortSignal;
  /** `false`: try once, never wait (like `timeout: 0`). */
  blocking?: boolean;
}

/**
 * A value, or a promise of it. Calls that never wait are synchronous in the local and threads tiers and a
 * round trip (a promise) on Redis; the shared interfaces type them `Awaitable<T>`, so code written against
 * them `await`s every such call and runs on any tier. Each tier's own classes give the narrower type.
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * What `hold()` resolves to in every tier: releases once, however often it is released or disposed. Its
 * release may be a round trip (Redis), so the scoped form that works everywhere is
 * `await using _ = await lock.hold()`.
 */
export interface AsyncGuard {
  release(): Awaitable<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The guard of the local and threads tiers: its release is synchronous, so `using _ = await lock.hold()`
 * works too. A Redis guard has no synchronous form (see README: "using and await using").
 */
export interface Guard extends AsyncGuard {
  release(): void;
  [Symbol.dispose](): void;
}

export interface BarrierOptions {
  /** Run by the last party to arrive, before any party passes; may be async (it is awaited). */
  action?: () => unknown;
  /** Default timeout (ms) for `wait()` calls that give none. */
  timeout?: number;
}

export interface PriorityQueueOptions<T> {
  /** Negative when `a` comes out first. The default orders numbers, strings and arrays of them. */
  compare?: (a: T, b: T) => number;
}

/**
 * Options of a local `Thread`: `args` are checked against `target`'s parameters, and required when it has
 * required ones.
 */
export type ThreadOptions<A extends unknown[] = unknown[]> = {
  /** Called with `args` when the thread runs; sync or async. */
  target?: (...args: A) => unknown;
  /** Default "Thread-N (target's name)". */
  name?: string;
  /** Default: the current thread's. */
  daemon?: boolean;
} & ([] extends A ? { args?: NoInfer<A> } : { args: NoInfer<A> });
