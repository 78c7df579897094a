import { RuntimeError } from "../api/errors.ts";
import { webHost } from "./web-host.ts";

/**
 * The threads tier's runtime adapter: the one place that asks Node (or the host) who this thread is, whether
 * it may block, and how to keep the event loop alive while an Atomics.waitAsync is pending.
 */

interface WorkerThreadsLike {
  threadId: number;
  isMainThread: boolean;
}

const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  ?.getBuiltinModule;

function loadWorkerThreads(): WorkerThreadsLike | undefined {
  try {
    return getBuiltin?.("node:worker_threads") as WorkerThreadsLike | undefined;
  } catch {
    return undefined;
  }
}

const nodeWorkers = loadWorkerThreads();
// Node's worker_threads (also Deno's and Bun's), else a browser's Web Workers in the same shape.
const wt = nodeWorkers ?? (webHost() as WorkerThreadsLike | undefined);

/** Whether a port's messages can be taken synchronously (Node's receiveMessageOnPort), not only as events. */
export const syncPorts: boolean = nodeWorkers !== undefined;

/** Deno: its workers emit no "beforeExit" (see `watchEnd`). */
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";

/** Whether the host loads TypeScript modules itself (Deno, Bun): a worker then needs no loader. */
export const runsTypeScript: boolean = isDeno || typeof (globalThis as { Bun?: unknown }).Bun === "object";

interface ExitingProcess {
  on(event: "beforeExit", listener: () => void): unknown;
  exit(code?: number): never;
}

/**
 * Call once in a worker: the returned function tells, in a process "exit" listener, whether the worker ran
 * dry (its code returned) rather than calling `process.exit()`. Node and Bun emit "beforeExit" only when the
 * event loop runs dry; Deno's workers never emit it, so there `process.exit` is watched instead.
 */
export function watchEnd(proc: ExitingProcess): () => boolean {
  if (!isDeno) {
    let ranDry = false;
    proc.on("beforeExit", () => {
      ranDry = true;
    });
    return () => ranDry;
  }
  let exited = false;
  const exit = proc.exit;
  proc.exit = function (this: unknown, code?: number): never {
    exited = true;
    return exit.call(this, code);
  };
  return () => !exited;
}

/**
 * Shared memory for a primitive, or a RuntimeError that says why there is none: a page that is not
 * cross-origin isolated has no SharedArrayBuffer. Loading the tier needs none, so importing it never throws.
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  if (typeof SharedArrayBuffer === "undefined") {
    throw new RuntimeError(
      "threadkit/threads needs SharedArrayBuffer, which this context lacks: in a browser, serve the page " +
        "cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: " +
        "require-corp), or use threadkit (the local tier), which needs no shared memory",
    );
  }
  return new SharedArrayBuffer(bytes);
}

/** This thread's id (0 on the main thread in Node). */
export const threadId: number = wt?.threadId ?? 0;

export const isMainThread: boolean = wt?.isMainThread ?? true;

/**
 * What ./thread.ts starts threads with: Node's worker_threads (Deno and Bun have it too), a browser's Web
 * Workers in the parts of its shape Thread uses (./web-host.ts), or undefined where the host has neither.
 */
export const workerThreads = wt as unknown as typeof import("node:worker_threads") | undefined;

/** The file URL of a path (relative to the working directory), or undefined where the host has no node:url. */
export function fileUrl(path: string): string | undefined {
  const url = getBuiltin?.("node:url") as typeof import("node:url") | undefined;
  return url?.pathToFileURL(path).href;
}

/**
 * Who this thread is in an owner word: thread id + 1, so that 0 means "nobody". Node's thread ids only grow;
 * a process would have to start 2^30 workers to overflow the 30 bits a STATE word gives an owner.
 */
export const ME: number = threadId + 1;

/**
 * Whether Atomics.wait may block this thread. Node allows it everywhere; a browser's main thread throws.
 * Where it may not, the internal guard only spins (its critical sections are a few dozen instructions).
 */
export const canBlock: boolean = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // "not-equal" at once, or a throw
    return true;
  } catch {
    return false;
  }
})();

/*
 * Keep-alive. A pending Atomics.waitAsync does not keep Node's event loop alive: a program whose only task
 * is waiting for a worker to release a lock would exit with the wait unsettled. So every pending async wait
 * holds a share of one ref'd interval, made when the first wait starts and cleared when the last one ends.
 */
let pending = 0;
let interval: ReturnType<typeof setInterval> | undefined;

function noop(): void {}

/** Counts one more pending async wait: the process stays alive until `release()` is called for it. */
export function keepAlive(): void {
  if (pending++ === 0) interval = setInterval(noop, 2 ** 31 - 1);
}

/** Ends one `keepAlive()`. */
export function letGo(): void {
  if (--pending === 0) {
    clearInterval(interval);
    interval = undefined;
  }
}

/** Pending async waits in this thread (for tests and diagnostics). */
export function pendingWaits(): number {
  return pending;
}

type WaitAsyncResult =
  | { async: false; value: "not-equal" | "timed-out" }
  | { async: true; value: Promise<"ok" | "timed-out"> };

/** Atomics.waitAsync (ES2024; in Node since 16), typed here because the project's lib is ES2022. */
export const waitAsync = (
  Atomics as unknown as {
    waitAsync: (i32: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
  }
).waitAsync;

/** The part of node:v8 the queues use for values their own codec does not cover (./codec.ts). */
export interface Serializer {
  serialize(value: unknown): Uint8Array;
  deserialize(bytes: Uint8Array): unknown;
}

interface V8Like {
  Serializer: new () => { writeHeader(): void; writeValue(v: unknown): void; releaseBuffer(): Uint8Array };
  Deserializer: new (b: Uint8Array) => { readHeader(): void; readValue(): unknown };
  serialize?: (value: unknown) => Uint8Array;
  deserialize?: (bytes: Uint8Array) => unknown;
}

/**
 * V8's structured-clone serializer (node:v8's plain Serializer and Deserializer), or undefined where the host
 * has none. Not `v8.serialize`: its DefaultSerializer writes each typed array's own bytes apart, so views of
 * one buffer would come back on separate buffers, with other offsets, and a Buffer as a Buffer. The plain
 * one writes the buffer and the views on it, exactly as structuredClone copies them.
 */
export const serializer: Serializer | undefined = (() => {
  let v8: V8Like | undefined;
  try {
    v8 = getBuiltin?.("node:v8") as V8Like | undefined;
  } catch {
    return undefined;
  }
  if (v8 === undefined) return undefined;
  const { Serializer: Writer, Deserializer: Reader } = v8;
  try {
    new Writer().writeHeader();
  } catch {
    // A host whose node:v8 Serializer class does not work (Bun's) may still have v8.serialize.
    return v8.serialize === undefined ? undefined : { serialize: v8.serialize, deserialize: v8.deserialize! };
  }
  return {
    serialize(value: unknown): Uint8Array {
      const writer = new Writer();
      writer.writeHeader();
      writer.writeValue(value);
      return writer.releaseBuffer();
    },
    deserialize(bytes: Uint8Array): unknown {
      const reader = new Reader(bytes);
      reader.readHeader();
      return reader.readValue();
    },
  };
})();
