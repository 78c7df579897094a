/**
 * hold()/run() of the tier's lock-like primitives. A guard gives its own grant back once, by hand or with
 * `await using`. Its release is a round trip, so there is no synchronous `using` form on Redis.
 */
import { TimeoutError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";

export class Held {
  private give: (() => Promise<void>) | null;
  private given: Promise<void> | undefined;
  constructor(give: () => Promise<void>) {
    this.give = give;
  }
  /** Gives the grant back; resolves once the server has it. Later calls resolve the same outcome. */
  release(): Promise<void> {
    if (this.given === undefined) {
      const give = this.give!;
      this.give = null;
      this.given = give();
    }
    return this.given;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** What hold() and run() need from a primitive: a wait that resolves the guard of its grant, or null. */
export interface Holdable {
  _hold(opts: WaitOptions | undefined): Promise<Held | null>;
}

export async function hold(primitive: Holdable, opts?: WaitOptions): Promise<Held> {
  const held = await primitive._hold(opts);
  if (held === null) throw new TimeoutError();
  return held;
}

/**
 * Acquires, runs `fn`, gives the grant back. When `fn` throws, its error wins over a failing release (fn let
 * go itself); when it returns, a failing release rejects, as it would from a `finally`.
 */
export async function run<T>(primitive: Holdable, fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
  if (typeof fn !== "function") throw new TypeError("fn must be a function");
  const held = await primitive._hold(opts);
  if (held === null) throw new TimeoutError();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await held.release().catch(() => {});
    throw error;
  }
  await held.release();
  return result;
}
