/**
 * The calls an agent of the model tests makes, the same on the main thread and in a worker: each outcome is
 * a plain value (the call's result, or the code of the error it threw) that crosses postMessage and that the
 * model compares with what it expects.
 */

export type Op =
  // lock-like (Lock, Semaphore)
  | "acquire"
  | "acquireSync"
  | "tryAcquire"
  | "release"
  // queues
  | "put"
  | "putSync"
  | "putNowait"
  | "get"
  | "getSync"
  | "getNowait"
  | "taskDone"
  | "join"
  | "joinSync"
  | "shutdown"
  // to the agent itself
  | "abort"
  | "block"
  | "attach";

export interface Call {
  id: number;
  op: Op;
  /** ms; absent: no timeout. */
  timeout?: number;
  /** An async call that the test may abort (`abort` with `target` = this call's id). */
  abortable?: boolean;
  /** release(n) */
  n?: number;
  item?: unknown;
  immediate?: boolean;
  target?: number;
}

/** What a call came to: its value, or the `code` of its error (`ABORTED` for the test's abort reason). */
export type Outcome = { ok: unknown } | { error: string };

export const ABORTED = "ABORTED";

interface LockLike {
  acquire(opts?: object): Promise<boolean>;
  acquireSync(opts?: object): boolean;
  tryAcquire(): boolean;
  release(n?: number): void;
}

interface QueueLike {
  put(item: unknown, opts?: object): Promise<void>;
  putSync(item: unknown, opts?: object): void;
  putNowait(item: unknown): void;
  get(opts?: object): Promise<unknown>;
  getSync(opts?: object): unknown;
  getNowait(): unknown;
  taskDone(): void;
  join(opts?: object): Promise<boolean>;
  joinSync(opts?: object): boolean;
  shutdown(immediate?: boolean): void;
}

function failed(e: unknown, signal?: AbortSignal): Outcome {
  if (signal?.aborted && e === signal.reason) return { error: ABORTED };
  const code = (e as { code?: unknown }).code;
  return { error: typeof code === "string" ? code : `${(e as Error).name}: ${(e as Error).message}` };
}

/** Runs `call` on `primitive`; never rejects. */
export async function perform(primitive: unknown, call: Call, signal?: AbortSignal): Promise<Outcome> {
  const opts =
    call.timeout === undefined && signal === undefined
      ? undefined
      : { ...(call.timeout === undefined ? {} : { timeout: call.timeout }), ...(signal ? { signal } : {}) };
  const p = primitive as LockLike & QueueLike;
  try {
    switch (call.op) {
      case "acquire":
        return { ok: await p.acquire(opts) };
      case "acquireSync":
        return { ok: p.acquireSync(opts) };
      case "tryAcquire":
        return { ok: p.tryAcquire() };
      case "release":
        p.release(call.n);
        return { ok: undefined };
      case "put":
        return { ok: await p.put(call.item, opts) };
      case "putSync":
        return { ok: p.putSync(call.item, opts) };
      case "putNowait":
        return { ok: p.putNowait(call.item) };
      case "get":
        return { ok: await p.get(opts) };
      case "getSync":
        return { ok: p.getSync(opts) };
      case "getNowait":
        return { ok: p.getNowait() };
      case "taskDone":
        return { ok: p.taskDone() };
      case "join":
        return { ok: await p.join(opts) };
      case "joinSync":
        return { ok: p.joinSync(opts) };
      case "shutdown":
        return { ok: p.shutdown(call.immediate) };
      default:
        throw new Error(`not a call: ${call.op}`);
    }
  } catch (e) {
    return failed(e, signal);
  }
}
