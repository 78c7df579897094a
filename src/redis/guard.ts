/**
 * hold()/run() of the tier's lock-like primitives. A guard gives its own grant back once: by hand or with
 * `using` (the release is sent at once, so the next command of this client runs after it) or with
 * `await using` (which also waits for the server's answer).
 */
import { TimeoutError } from "../api/errors.ts";
import type { Guard, WaitOptions } from "../api/options.ts";

export class Held implements Guard {
  private give: (() => Promise<void>) | null;
  private given: Promise<void> | undefined;
  constructor(give: () => Promise<void>) {
    this.give = give;
  }
  /** Gives the grant back (once); a failure is left to `Symbol.asyncDispose`, which reports it. */
  release(): void {
    this.start().catch(() => {});
  }
  [Symbol.dispose](): void {
    this.release();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.start();
  }
  private start(): Promise<void> {
    if (this.given === undefined) {
      const give = this.give!;
      this.give = null;
      this.given = give();
    }
    return this.given;
  }
}

/** What hold() and run() need from a primitive: a wait that resolves the guard of its grant, or null. */
export interface Holdable {
  _hold(opts: WaitOptions | undefined): Promise<Held | null>;
}

export async function hold(primitive: Holdable, opts?: WaitOptions): Promise<Guard> {
  const held = await primitive._hold(opts);
  if (held === null) throw new TimeoutError();
  return held;
}

export async function run<T>(primitive: Holdable, fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
  const held = await primitive._hold(opts);
  if (held === null) throw new TimeoutError();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await held[Symbol.asyncDispose]();
    throw error;
  }
  await held[Symbol.asyncDispose]();
  return result;
}
