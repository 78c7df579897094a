import { RuntimeError } from "../api/errors.ts";
import type { ThreadOptions, WaitOptions } from "../api/options.ts";
import type { Thread as ThreadApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { taskResolver } from "../internal/probe.ts";
import { describeError, NO_CONTEXT, reportError } from "../internal/runtime.ts";
import { context, type Owner } from "./context.ts";
import { Event } from "./event.ts";
import { FALSE, TRUE } from "./lock-like.ts";
import { threadStarted } from "./owner.ts";
import { WaiterQueue, wakeAll } from "./waiter-queue.ts";
import { reported, threadsAlive } from "./waits.ts";

let names = 0;
let idents = 0;
const alive = new Set<Thread>();

/**
 * A named task on the event loop, as Python's `threading.Thread`: `target(...args)`, or an overridden
 * `run()`, sync or async. Inside it, across every await, `currentThread()` is this Thread, and RLocks it
 * takes belong to it. An uncaught error is reported as Python's excepthook does and kept as `error`.
 */
export class Thread<A extends unknown[] = unknown[]> implements ThreadApi, Owner {
  /** A Thread is the root of its context chain. */
  readonly parent = null;
  private threadName: string;
  private isDaemon: boolean;
  private id: number | null = null;
  private started = false;
  private done = false;
  private target: ((...args: unknown[]) => unknown) | undefined;
  private targetArgs: unknown[];
  private readonly joiners = new WaiterQueue<boolean>(() => false).of(this, "thread", "to join");
  private uncaught: unknown = undefined;

  constructor(options: ThreadOptions<A> = {} as ThreadOptions<A>) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { target, args = [], name, daemon } = options as ThreadOptions;
    if (target !== undefined && typeof target !== "function")
      throw new TypeError("target must be a function");
    if (!Array.isArray(args)) throw new TypeError("args must be an array");
    if (daemon !== undefined && typeof daemon !== "boolean") throw new TypeError("daemon must be a boolean");
    this.target = target;
    this.targetArgs = args;
    this.threadName =
      name !== undefined && name !== ""
        ? String(name)
        : `Thread-${++names}${target?.name ? ` (${target.name})` : ""}`;
    this.isDaemon = daemon ?? inheritedDaemon();
  }

  get name(): string {
    return this.threadName;
  }
  set name(value: string) {
    this.threadName = String(value);
  }

  /** A number unique among the threads of this process, once started; null before. */
  get ident(): number | null {
    return this.id;
  }

  get daemon(): boolean {
    return this.isDaemon;
  }
  set daemon(value: boolean) {
    if (this.started) throw new RuntimeError("cannot set daemon status of active thread");
    if (typeof value !== "boolean") throw new TypeError("daemon must be a boolean");
    this.isDaemon = value;
  }

  /** The uncaught error of `run()`, once the thread has finished with one. */
  get error(): unknown {
    return this.uncaught;
  }

  isAlive(): boolean {
    return this.started && !this.done;
  }

  /** Starts `run()` as a new task (on the next microtask). RuntimeError if started before. */
  start(): void {
    if (this.started) throw new RuntimeError("threads can only be started once");
    this.started = true;
    this.id = ++idents;
    alive.add(this);
    threadStarted();
    queueMicrotask(() => context.run(this, () => this.bootstrap()));
  }

  /** What the thread does: calls the target with the args. Override it in a subclass, as in Python. */
  run(): unknown {
    try {
      return this.target?.(...this.targetArgs);
    } finally {
      this.target = undefined; // drop references, as Python does
      this.targetArgs = [];
    }
  }

  /**
   * Resolves true once the thread has finished (also with an uncaught error), false on timeout.
   * RuntimeError before `start()` or for the current thread. Cancel-safe.
   * @example
   * ```ts
   * t.start();
   * if (!(await t.join({ timeout: 10_000 }))) console.log(`${t.name} still running`);
   * ```
   */
  join(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    if (!this.started) return Promise.reject(new RuntimeError("cannot join thread before it is started"));
    // Where the current thread cannot be known (no AsyncLocalStorage), a self-join waits as a deadlock would.
    if (knownCurrent() === this) return Promise.reject(new RuntimeError("cannot join current thread"));
    if (this.done) return TRUE;
    return ms === 0 ? FALSE : this.joiners.wait(ms, opts?.signal);
  }

  /** @internal Who will end a join, for the deadlock detector: the thread itself, while it runs. */
  _holder(): Owner | null {
    return this.started && !this.done ? this : null;
  }

  toString(): string {
    // As CPython: "daemon" after the status word, before the ident.
    const status = !this.started ? "initial" : this.done ? "stopped" : "started";
    const ident = this.started ? ` ${this.id}` : "";
    return `<${this.constructor.name}(${this.threadName}, ${status}${this.isDaemon ? " daemon" : ""}${ident})>`;
  }

  private async bootstrap(): Promise<void> {
    try {
      await this.run();
    } catch (error) {
      this.uncaught = error;
      reportError(`Exception in thread ${this.threadName}:\n${describeError(error)}`);
      reported(error, this.threadName);
    } finally {
      this.done = true;
      alive.delete(this);
      wakeAll(this.joiners, true);
    }
  }

  /** @internal The main thread exists from the start. */
  static _main(): Thread {
    const main = new Thread({ name: "MainThread", daemon: false });
    main.started = true;
    main.id = ++idents;
    alive.add(main);
    return main;
  }
}

let main: Thread | undefined;

/** The thread the program started in. */
export function mainThread(): Thread {
  main ??= Thread._main();
  return main;
}

/**
 * The Thread whose code is running, across awaits; the main thread outside any. Where the runtime has no
 * AsyncLocalStorage, RuntimeError when that cannot be known: outside a Thread's synchronous part while a
 * Thread is running.
 */
export function currentThread(): Thread {
  let owner = context.get() ?? null;
  while (owner !== null && !(owner instanceof Thread)) owner = owner.parent;
  return owner ?? mainThread();
}

// The deadlock detector names the threads alive.
threadsAlive(() => alive);

// Traced events name the Thread that runs them (outside any: the OS thread's name).
taskResolver(() => {
  let owner = context.get() ?? null;
  while (owner !== null && !(owner instanceof Thread)) owner = owner.parent;
  return owner?.name;
});

/** The current thread, or undefined where the runtime cannot tell (see NO_CONTEXT in ../internal/runtime.ts). */
function knownCurrent(): Thread | undefined {
  try {
    return currentThread();
  } catch (error) {
    if (error instanceof RuntimeError) return undefined;
    throw error;
  }
}

/** The current thread's daemon flag, which a new Thread takes: also known when every thread has the same. */
function inheritedDaemon(): boolean {
  const current = knownCurrent();
  if (current !== undefined) return current.daemon;
  const flags = new Set([false, ...[...alive].map((t) => t.daemon)]);
  if (flags.size === 1) return false;
  throw new RuntimeError(`${NO_CONTEXT}; or give the new Thread its daemon flag`);
}

/** How many threads are alive, the main thread included. */
export function activeCount(): number {
  mainThread();
  return alive.size;
}

/** The threads alive now, the main thread included. */
export function enumerate(): Thread[] {
  mainThread();
  return [...alive];
}

/**
 * Calls `fn(...args)` after `interval` ms unless cancelled first, as Python's `threading.Timer`.
 * An async `fn` is awaited, so `join()` waits for it.
 */
export class Timer<A extends unknown[] = unknown[]> extends Thread {
  readonly interval: number;
  readonly function: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  /** Set once the timer has fired or been cancelled. */
  readonly finished = new Event();

  constructor(
    interval: number,
    fn: (...args: A) => unknown,
    ...rest: [] extends A ? [args?: NoInfer<A>] : [args: NoInfer<A>]
  ) {
    super();
    const [args = []] = rest as [unknown[]?];
    if (typeof interval !== "number") throw new TypeError("interval must be a number");
    if (Number.isNaN(interval)) throw new RangeError("interval must not be NaN"); // as a NaN timeout
    if (interval < 0) throw new RangeError("interval must be a non-negative number");
    if (typeof fn !== "function") throw new TypeError("function must be a function");
    if (!Array.isArray(args)) throw new TypeError("args must be an array");
    this.interval = interval;
    this.function = fn as (...args: unknown[]) => unknown;
    this.args = [...args];
  }

  override async run(): Promise<void> {
    await this.finished.wait({ timeout: this.interval });
    if (!this.finished.isSet()) await this.function(...this.args);
    this.finished.set();
  }

  /** Stops the timer if it has not fired yet. */
  cancel(): void {
    this.finished.set();
  }
}
