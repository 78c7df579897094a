/**
 * Thread and Timer of the threads tier: Python's `threading.Thread` on a worker thread. The body is a module
 * function (code cannot cross threads, a module URL can): `new Thread({ target: url, args })` starts a
 * worker (./worker-entry.ts) that imports `target` and calls its default export, or `export`, with `args`.
 *
 * What crosses, and why:
 * - `args` are structured-cloned, except this tier's primitives (at the top level and inside arrays and
 *   plain objects), which travel as handles (./handle.ts) and arrive as the same, live primitives.
 * - "Finished" is a threads-tier Event (`done`) in shared memory, set by the worker when its target settles
 *   (or when it exits any other way: its `process` 'exit' hook) and by the parent when the worker exits
 *   without having set it. So `joinSync()` works while the parent's event loop is blocked.
 * - The outcome (an uncaught error) is posted on a private MessagePort before `done` is set, so whoever
 *   sees `done` can drain the port synchronously (receiveMessageOnPort) and find the error there.
 *
 * What a thread sees (`activeCount()`, `enumerate()`): every running thread of the process, as in Python:
 * the main thread, itself, and every Thread started on any thread (./registry.ts). A Thread started
 * elsewhere comes as an object of this thread, which `join()` and `isAlive()` answer through the registry.
 */
import { RuntimeError } from "../api/errors.ts";
import type { WaitOptions } from "../api/options.ts";
import type { Thread as ThreadApi } from "../api/primitives.ts";
import { admit } from "../internal/checks.ts";
import { describeError, reportError } from "../internal/runtime.ts";
import { admitSync } from "./admit.ts";
import { unwire, wire } from "./args-wire.ts";
import { Event } from "./event.ts";
import { held, type Posted, seed } from "./exchange.ts";
import { FALSE } from "./futex.ts";
import { fromHandle, type Handle, isHandle, toHandle } from "./handle.ts";
import { entryUrl, loaderFor, resolveTarget, TS, targetLabel, tsx, withExecArgv } from "./loader.ts";
import { entries, forget, register, running, waitFinished, waitFinishedSync } from "./registry.ts";
import { isMainThread, sharedBuffer, syncPorts, threadId, workerThreads } from "./runtime.ts";
import { checkLoadable, cloneError } from "./start-checks.ts";
import { directStdio } from "./stdio.ts";
import { rebuild, type WireError } from "./wire-error.ts";

type MessagePortLike = import("node:worker_threads").MessagePort;
type WorkerLike = import("node:worker_threads").Worker;

/** Options of a threads-tier Thread. */
export interface ThreadOptions {
  /** The module to run: a URL, a file URL string, or a path (relative to the working directory). */
  target?: string | URL;
  /** The export of `target` to call; "default" unless given. */
  export?: string;
  /** Structured-cloneable values and threadkit/threads primitives (sent live). */
  args?: unknown[];
  /** Default "Thread-N (export or module name)". */
  name?: string;
  /** A daemon thread does not keep the process alive. Default: the current thread's. */
  daemon?: boolean;
}

/** @internal What a worker posts on its port. `late`: an error after the target had settled (reported, not kept). */
export interface Outcome {
  error?: WireError;
  late?: boolean;
}

/** The workerData of a Thread's worker. */
interface Descriptor {
  threadkit: "thread";
  kind: "Thread" | "Timer";
  name: string;
  daemon: boolean;
  done: Handle<"Event">;
  port: MessagePortLike;
  names: Int32Array;
  target: string | undefined;
  export: string;
  args: unknown[];
  /** Module hooks the worker registers before it imports the target (tsx's, for a .ts target). */
  hooks: string | undefined;
  /** The descriptors the worker writes itself (./stdio.ts). */
  stdio: number;
  timer?: { interval: number; fate: Int32Array; finished: Handle<"Event"> };
  /** What the parent held of ./exchange.ts when it started this thread. */
  exchange: Posted[];
}

const descriptor: Descriptor | undefined = (() => {
  const data = workerThreads?.workerData as Partial<Descriptor> | undefined;
  return data?.threadkit === "thread" && isHandle(data.done) ? (data as Descriptor) : undefined;
})();
seed(descriptor?.exchange);

/**
 * The "Thread-N" counter, shared with every thread this one starts (and theirs), so names are unique across
 * the threads threadkit started, as Python's counter is across a process.
 */
let names: Int32Array | undefined = descriptor?.names;

function sharedNames(): Int32Array {
  names ??= new Int32Array(sharedBuffer(4));
  return names;
}

/** Threads started by this thread and not yet seen finished. */
const startedHere = new Set<Thread>();

/** Timer fates, in one shared word: the worker fires only by winning PENDING -> FIRED, cancel() wins -> CANCELLED. */
const PENDING = 0;
const FIRED = 1;
const CANCELLED = 2;

/**
 * A thread of execution on a worker, as Python's `threading.Thread`: `start()` runs `target`'s export with
 * `args` in a new worker; `join()` waits for it. An uncaught error of the target (a throw, a rejection, or
 * the worker exiting before the target settled) is reported to stderr as Python's excepthook does and kept
 * as `error`; `join()` still resolves true. Unlike Python, which ignores SystemExit, any exit before the
 * target settles is reported (`process.exit()`, even with code 0, or a worker whose event loop ran dry with
 * the target's promise pending): the target's work may be unfinished, and the caller should know.
 *
 * What the target prints is out on the process's stdout and stderr before the thread counts as finished, and
 * in the order the program's synchronization gives it (./stdio.ts).
 *
 * The thread is finished when its target settles. Work the target left scheduled (timers, listeners)
 * still runs on the worker, which exits once it has nothing left to do; a non-daemon worker keeps the
 * process alive until then, a daemon worker does not keep it alive at all.
 *
 * The body is the target module's function: a subclass may add fields and methods, but an overridden
 * `run()` cannot run on the worker (functions do not cross threads), so `start()` refuses it. `Timer` is the
 * one subclass with its own body, known to the worker.
 *
 * `name` is this object's: renaming it in the worker (through `currentThread()`) does not rename the parent's.
 */
export class Thread implements ThreadApi {
  private threadName: string;
  private isDaemon: boolean;
  private id: number | null = null;
  private started = false;
  private href: string | undefined;
  private exportName: string;
  private targetArgs: unknown[];
  /** Set once the thread has finished. Shared with the worker; never set for the main and dummy threads. */
  private done = new Event();
  private port: MessagePortLike | undefined;
  private fatal: unknown;
  private failed = false;
  private uncaught: unknown;
  private dummy = false;
  /** Whether the worker's outcome has been taken in; `onAnswer` waits for it where ports are not read synchronously. */
  private answered = false;
  private onAnswer: (() => void) | undefined;
  private answering: Promise<true> | undefined;
  /** A thread started elsewhere, known from the registry (its slot there); -1 for every other Thread. */
  private slot = -1;

  constructor(options: ThreadOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const { target, args = [], name, daemon } = options;
    const exportName = options.export ?? "default";
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError("export must be the name of an export");
    }
    if (!Array.isArray(args)) throw new TypeError("args must be an array");
    if (daemon !== undefined && typeof daemon !== "boolean") throw new TypeError("daemon must be a boolean");
    this.href = target === undefined ? undefined : resolveTarget(target);
    this.exportName = exportName;
    this.targetArgs = args;
    const label = this.href === undefined ? "" : targetLabel(this.href, exportName);
    this.threadName =
      name !== undefined && name !== "" ? String(name) : `Thread-${nextName()}${label && ` (${label})`}`;
    this.isDaemon = daemon ?? currentThread().daemon;
  }

  get name(): string {
    return this.threadName;
  }
  set name(value: string) {
    this.threadName = String(value);
  }

  /** The worker's threadId once started (0 for the main thread); null before. */
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

  /** The uncaught error of the target, once the thread has finished with one (rebuilt on this side). */
  get error(): unknown {
    if (this.done.isSet()) this.collect();
    return this.uncaught;
  }

  /** True from `start()` until the target has settled (or the worker has ended). */
  isAlive(): boolean {
    if (this.slot >= 0) return running(this.slot, this.id as number);
    return this.started && !this.done.isSet();
  }

  /**
   * Starts the worker; when it returns, `ident` is set and `isAlive()` is true. RuntimeError if started
   * before, or for a TypeScript target nothing here can load on a worker; TypeError if `args` cannot be
   * cloned (a local-tier primitive in them is named) or a subclass overrides `run()` (nothing has changed then).
   */
  start(): void {
    if (this.started) throw new RuntimeError("threads can only be started once");
    const body = Object.getPrototypeOf(this).run;
    if (body !== Thread.prototype.run && !(this instanceof Timer && body === Timer.prototype.run)) {
      throw new TypeError(
        "a Thread subclass's run() cannot run on a worker: put the body in the target module",
      );
    }
    const host = workerThreads;
    if (host === undefined) throw new RuntimeError("this runtime has no worker threads");
    if (tsx === undefined && this.href !== undefined && TS.test(new URL(this.href).pathname)) {
      checkLoadable(this.href);
    }
    const { port1, port2 } = new host.MessageChannel();
    const { boot, hooks } = loaderFor(this.href);
    const data: Descriptor = {
      threadkit: "thread",
      kind: this instanceof Timer ? "Timer" : "Thread",
      name: this.threadName,
      daemon: this.isDaemon,
      done: toHandle(this.done),
      port: port2,
      names: sharedNames(),
      target: this.href,
      export: this.exportName,
      args: wire(this.targetArgs) as unknown[],
      hooks,
      stdio: directStdio(),
      timer: this instanceof Timer ? this._wire() : undefined,
      exchange: held(),
    };
    let worker: WorkerLike;
    try {
      const options = { workerData: data, transferList: [port2] };
      worker = withExecArgv((execArgv) =>
        boot === undefined
          ? new host.Worker(entryUrl, { ...options, execArgv })
          : new host.Worker(boot, { ...options, eval: true, execArgv }),
      );
    } catch (error) {
      port1.close();
      if ((error as { name?: string }).name === "DataCloneError")
        throw cloneError(this.targetArgs, error as Error);
      throw error;
    }
    this.started = true;
    this.id = worker.threadId;
    this.port = port1;
    startedHere.add(this);
    register(worker.threadId, this.isDaemon, this.threadName);
    port1.on("message", (outcome: Outcome) => this.receive(outcome));
    port1.unref(); // the worker keeps the process alive, not its port
    worker.on("error", (error) => {
      this.fatal ??= error; // also reported by the worker's own hook, unless it died before installing it
    });
    worker.on("exit", (code) => this.exited(code));
    if (this.isDaemon) worker.unref();
  }

  /**
   * What the thread does, on whichever thread calls it: imports the target module and calls its export
   * with the args (on the worker, with the primitives live). Drops the target and args afterwards, as
   * Python does. `start()` runs it on the worker.
   */
  async run(): Promise<unknown> {
    const href = this.href;
    const args = this.targetArgs;
    this.href = undefined;
    this.targetArgs = [];
    if (href === undefined) return undefined;
    const module = (await import(href)) as Record<string, unknown>;
    const fn = module[this.exportName];
    if (typeof fn !== "function") {
      const what = this.exportName === "default" ? "default export" : `export "${this.exportName}"`;
      throw new TypeError(`${href} has no ${what} that is a function`);
    }
    return fn(...args);
  }

  /**
   * Resolves true once the thread has finished (also with an uncaught error: see `error`), false on
   * timeout. RuntimeError before `start()`, for the current thread, or for a dummy thread.
   * Cancel-safe: it takes nothing; on abort it rejects with `signal.reason`.
   * @example
   * ```ts
   * t.start();
   * if (!(await t.join({ timeout: 10_000 }))) console.log(`${t.name} still running`);
   * ```
   */
  join(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    try {
      this.checkJoin();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.slot >= 0) return waitFinished(this.slot, this.id as number, ms, opts?.signal);
    if (this.done.isSet()) return this.answer();
    if (ms === 0) return FALSE;
    return this.done.wait(opts).then((ok) => (ok ? this.answer() : false));
  }

  /**
   * The blocking twin of `join` (Atomics.wait): returns true once the thread has finished, false on
   * timeout. Works while this thread's event loop is blocked, except for a worker killed from outside
   * (`terminate()`, a fatal runtime error): only the event loop hears of that, so give such joins a timeout.
   * Cancel safety: a signal is checked on entry only (a blocked thread cannot see an abort): use a timeout,
   * which leaves nothing taken.
   * @example
   * ```ts
   * t.start();
   * t.joinSync({ timeout: 10_000 }); // blocks this thread
   * ```
   */
  joinSync(opts?: WaitOptions): boolean {
    const ms = admitSync(opts);
    this.checkJoin();
    if (this.slot >= 0) return waitFinishedSync(this.slot, this.id as number, ms);
    if (this.done.isSet()) return this.finish(); // finished: no need to go through the core
    return this.done.waitSync(opts) && this.finish();
  }

  toString(): string {
    // Python's repr: the status word, then "daemon", then the ident.
    const status = !this.started ? "initial" : this.isAlive() ? "started" : "stopped";
    const ident = this.started ? ` ${this.id}` : "";
    return `<${this.constructor.name}(${this.threadName}, ${status}${this.isDaemon ? " daemon" : ""}${ident})>`;
  }

  private checkJoin(): void {
    if (!this.started) throw new RuntimeError("cannot join thread before it is started");
    if (this === currentThread()) throw new RuntimeError("cannot join current thread");
    if (this.dummy) throw new RuntimeError("cannot join a dummy thread");
  }

  /** Takes in what the worker posted before it set `done`; true, for join's result. */
  private finish(): true {
    this.collect();
    startedHere.delete(this);
    return true;
  }

  /** finish() once the outcome is in: at once on Node; in a browser, when its message has been delivered. */
  private answer(): Promise<true> {
    this.collect();
    if (this.answered || syncPorts) return Promise.resolve(this.finish());
    this.answering ??= new Promise<true>((resolve) => {
      this.onAnswer = () => resolve(this.finish());
    });
    return this.answering;
  }

  private collect(): void {
    const port = this.port;
    const host = workerThreads;
    if (port === undefined || host === undefined) return;
    for (let m = host.receiveMessageOnPort(port); m !== undefined; m = host.receiveMessageOnPort(port)) {
      this.receive(m.message as Outcome);
    }
  }

  private receive(outcome: Outcome): void {
    if (outcome.error !== undefined) this.fail(rebuild(outcome.error), outcome.late === true);
    if (outcome.late === true) return;
    this.answered = true;
    this.onAnswer?.();
  }

  private fail(error: unknown, late: boolean): void {
    if (!late && !this.failed) {
      this.failed = true;
      this.uncaught = error;
    }
    reportError(`Exception in thread ${this.threadName}:\n${describeError(error)}`);
  }

  private exited(code: number): void {
    this.collect();
    if (!this.done.isSet()) {
      // The worker ended without reporting (it never got to install its hooks, or was killed).
      this.fail(this.fatal ?? exitError(code), false);
      this.done.set();
    }
    this.answered = true;
    this.onAnswer?.();
    forget(this.id as number);
    startedHere.delete(this);
    this.port?.close();
  }

  /** @internal A started thread known from elsewhere (the main thread, this worker's own, a dummy). */
  static _known(name: string, ident: number, daemon: boolean, done?: Event): Thread {
    const thread = Object.create(Thread.prototype) as Thread;
    thread.init(name, ident, daemon, done);
    return thread;
  }

  /** @internal */
  protected init(name: string, ident: number, daemon: boolean, done?: Event): void {
    this.threadName = name;
    this.isDaemon = daemon;
    this.id = ident;
    this.started = true;
    this.href = undefined;
    this.exportName = "default";
    this.targetArgs = [];
    this.done = done ?? new Event();
    this.port = undefined;
    this.failed = false;
    this.dummy = false;
    this.slot = -1;
  }

  /** @internal This worker's own Thread, from its workerData. */
  static _self(d: Descriptor): Thread {
    const self = Object.create(d.kind === "Timer" ? Timer.prototype : Thread.prototype) as Thread;
    self.init(d.name, threadId, d.daemon, fromHandle(d.done));
    self.href = d.target;
    self.exportName = d.export;
    self.targetArgs = unwire(d.args) as unknown[];
    if (d.kind === "Timer" && d.timer !== undefined) (self as Timer)._attach(d.timer);
    return self;
  }

  /** @internal A Thread started on another thread, as the registry lists it. */
  static _foreign(slot: number, ident: number, daemon: boolean, name: string): Thread {
    const thread = Thread._known(name, ident, daemon);
    thread.slot = slot;
    return thread;
  }

  /** @internal */
  static _dummy(): Thread {
    const thread = Thread._known(`Dummy-${nextName()}`, threadId, true);
    thread.dummy = true;
    return thread;
  }
}

function nextName(): number {
  return Atomics.add(sharedNames(), 0, 1) + 1;
}

/** @internal The error of a worker that ended before its target settled. */
export function exitError(code: number): Error {
  const error = new Error(`the thread's worker exited with code ${code} before its target settled`);
  error.stack = `Error: ${error.message}`;
  return error;
}

let main: Thread | undefined;
let self: Thread | undefined;

/** The thread the program started in (name "MainThread", ident 0). */
export function mainThread(): Thread {
  main ??= Thread._known("MainThread", 0, false);
  return main;
}

/**
 * The Thread whose code is running: the main thread, the Thread a worker runs (with its name, ident and
 * daemon flag), or, in a worker threadkit did not start, a dummy thread (daemon, not joinable), as Python.
 */
export function currentThread(): Thread {
  if (isMainThread) return mainThread();
  self ??= descriptor !== undefined ? Thread._self(descriptor) : Thread._dummy();
  return self;
}

/** How many threads of the process are alive (see `enumerate`). */
export function activeCount(): number {
  return enumerate().length;
}

/** Threads started elsewhere, as this thread has listed them (one object per thread, while it runs). */
const foreign = new Map<number, Thread>();

/**
 * The threads of the process that are alive: the main thread, the current thread, and every Thread started
 * on any thread and still running (the ones this thread started are the very objects it has).
 */
export function enumerate(): Thread[] {
  const byIdent = new Map<number, Thread>();
  byIdent.set(0, mainThread());
  const me = currentThread();
  byIdent.set(me.ident as number, me);
  for (const thread of startedHere) {
    if (thread.isAlive()) byIdent.set(thread.ident as number, thread);
    else startedHere.delete(thread);
  }
  const listed = new Set<number>();
  for (const { slot, ident, daemon, name } of entries()) {
    listed.add(ident);
    if (byIdent.has(ident)) continue;
    let thread = foreign.get(ident);
    if (thread === undefined) foreign.set(ident, (thread = Thread._foreign(slot, ident, daemon, name)));
    byIdent.set(ident, thread);
  }
  for (const ident of foreign.keys()) if (!listed.has(ident)) foreign.delete(ident);
  return [...byIdent.values()];
}

/** @internal For ./worker-entry.ts: this worker's descriptor, if a Thread started it. */
export function _descriptor(): Descriptor | undefined {
  return descriptor;
}

/**
 * Runs `target`'s export with `args` on a worker after `interval` ms, unless `cancel()` came first, as
 * Python's `threading.Timer`. The wait happens on the worker (so a parent blocked in `joinSync()` does not
 * delay it); whether the function runs is decided by one compareExchange on a shared word, which the worker
 * makes after the interval and `cancel()` makes at once: after `cancel()` returns having won, the
 * function never runs, and a cancelled timer does not even import the target module.
 */
export class Timer extends Thread {
  readonly interval: number;
  /** Set once the timer has fired (and the function has settled) or been cancelled. */
  readonly finished: Event;
  private fate: Int32Array;

  constructor(
    interval: number,
    target: string | URL,
    args: unknown[] = [],
    options: Pick<ThreadOptions, "export" | "name" | "daemon"> = {},
  ) {
    if (typeof interval !== "number") throw new TypeError("interval must be a number");
    if (Number.isNaN(interval)) throw new RangeError("interval must not be NaN");
    if (interval < 0) throw new RangeError("interval must be a non-negative number");
    if (target === undefined)
      throw new TypeError("target must be a module: a URL, a file URL string or a path");
    super({ ...options, target, args, name: options.name ?? `Thread-${nextName()}` });
    this.interval = interval;
    this.finished = new Event();
    this.fate = new Int32Array(new SharedArrayBuffer(4));
  }

  /** Stops the timer if it has not fired yet; no effect on a function already running. Idempotent. */
  cancel(): void {
    Atomics.compareExchange(this.fate, 0, PENDING, CANCELLED);
    this.finished.set(); // wakes the worker's wait early
  }

  /** Waits for the interval (or a cancel), then runs the function if the timer won the shared word. */
  override async run(): Promise<unknown> {
    try {
      if (Atomics.load(this.fate, 0) === PENDING) await this.finished.wait({ timeout: this.interval });
      if (Atomics.compareExchange(this.fate, 0, PENDING, FIRED) === PENDING) return await super.run();
      return undefined;
    } finally {
      this.finished.set();
    }
  }

  /** @internal What the worker needs to wait and decide. */
  _wire(): Descriptor["timer"] {
    return { interval: this.interval, fate: this.fate, finished: toHandle(this.finished) };
  }

  /** @internal The worker's side of the same timer. */
  _attach(timer: NonNullable<Descriptor["timer"]>): void {
    (this as { interval: number }).interval = timer.interval;
    (this as { finished: Event }).finished = fromHandle(timer.finished);
    this.fate = timer.fate;
  }
}
