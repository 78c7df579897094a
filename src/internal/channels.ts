/**
 * Tracing on node:diagnostics_channel: the names and the messages (public API: the README's "Tracing"
 * section, and the types below), and the publisher the probe hands its events to. Loaded through the
 * runtime adapter: where the runtime has no diagnostics_channel (a browser) there is no publisher and
 * nothing is published.
 *
 * Subscribing turns the probe on: each of our channels watches its own subscribe/unsubscribe (and store
 * bindings), so that while nobody listens the tiers' hot paths pay one boolean check and nothing more.
 */
import { type ChannelLike, diagnosticsChannel, type TracingChannelLike } from "./runtime.ts";

/** What a primitive is, in channel names and messages. BoundedSemaphore is a "semaphore", every queue a "queue". */
export type ResourceKind = "lock" | "rlock" | "semaphore" | "condition" | "event" | "barrier" | "queue";

/** A call that may wait, traced on the TracingChannel `threadkit:<kind>:<op>`. */
export type CallOp = "acquire" | "wait" | "get" | "put" | "join";

/** How a traced call ended. A failed try (`timeout: 0`, `tryAcquire`) ends as "timeout". */
export type Outcome = "granted" | "timeout" | "abort" | "error";

/** Who: the OS thread (node:worker_threads' `threadId`, 0 for the main thread) and the thread's name. */
export interface ThreadRef {
  /** The OS thread's id: 0 on the main thread, the worker's `threadId` in a worker. */
  readonly id: number;
  /**
   * The name of the thread: a threadkit Thread's name (a worker's, or a local Thread's on one event loop),
   * else "main" on the main thread and "worker <id>" in a worker that no Thread started.
   */
  readonly name: string;
}

/** What every message names: the primitive. */
export interface ResourceRef {
  /** The primitive's kind. */
  readonly kind: ResourceKind;
  /**
   * The primitive's id, stable for its life and the same on every thread that has it: "L<n>" on one event
   * loop; "T<thread>.<n>" for a threads-tier primitive (the thread that first traced it, and a number).
   */
  readonly id: string;
  /** The name given with `traceName(primitive, name)` on this thread, if any. */
  readonly name: string | undefined;
}

/**
 * The context object of the TracingChannel `threadkit:<kind>:<op>`: one call that may wait (`acquire`,
 * `wait`, `get`, `put`, `join`, and their blocking `...Sync` twins, `tryAcquire` as a call with
 * `timeout: 0`). Published on `start` when the call begins, on `end` when its synchronous part returns,
 * and, for a promise, on `asyncStart`/`asyncEnd` when it settles (in the caller's own async context), or
 * `error` when it rejects or throws.
 */
export interface CallMessage extends ResourceRef {
  /** What the call does. */
  readonly op: CallOp;
  /** Who calls. */
  readonly thread: ThreadRef;
  /** A number for this call, unique on its OS thread: a `handoff` message names it in `to.call`. */
  readonly call: number;
  /** The timeout (ms) the call was given: `Infinity` for none, 0 for a try. */
  readonly timeout: number;
  /** Set true once the call queued behind others (it was not granted or refused at once). */
  queued: boolean;
  /**
   * The waiter cell it queued in (threads tier; -1 otherwise): a threads `handoff` names the same `to.cell`.
   */
  cell: number;
  /** How it ended, set before `end` (a synchronous call) or `asyncStart` (a promise). */
  outcome: Outcome | undefined;
  /** Set by the TracingChannel: what the call returned (or resolved to). */
  result?: unknown;
  /** Set by the TracingChannel: what it threw (or rejected with). */
  error?: unknown;
}

/** Point events: `threadkit:<kind>:<event>`. */
export type PointEvent = "release" | "notify" | "set" | "clear" | "broken" | "reset" | "shutdown" | "handoff";

/**
 * The message of a point channel `threadkit:<kind>:<event>`: `lock:release`, `rlock:release` (the last
 * level), `semaphore:release`, `condition:notify`, `event:set`, `event:clear`, `barrier:broken`,
 * `barrier:reset`, `queue:shutdown`, and `<kind>:handoff`.
 */
export interface PointMessage extends ResourceRef {
  readonly event: PointEvent;
  /** Who did it. */
  readonly thread: ThreadRef;
  /**
   * How many: permits released, waiters a notify may wake (a threads `notifyAll`: Infinity), waiters an
   * Event's set wakes (local tier); 1 otherwise.
   */
  readonly n: number;
}

/**
 * The message of `threadkit:<kind>:handoff`: the primitive handed what a queued call waited for (the lock,
 * a permit, a notify, the set flag, a round's pass, an item or room) straight to that waiter, from the
 * thread in `thread` (a release, notify, set, put...). The waiter's call then ends "granted".
 */
export interface HandoffMessage extends PointMessage {
  readonly event: "handoff";
  /** The waiter: its OS thread id, and its call (same OS thread: `call`; threads tier: its `cell`). */
  readonly to: { readonly thread: number; readonly call: number; readonly cell: number };
}

/**
 * Every channel, by kind: `kind:call,call/point,point` (every kind also has `handoff`), from which the
 * tables below are made.
 */
const SPEC =
  "lock:acquire/release rlock:acquire/release semaphore:acquire/release condition:wait/notify event:wait/set,clear barrier:wait/broken,reset queue:get,put,join/shutdown";

const calls: Partial<Record<ResourceKind, CallOp[]>> = {};
const points: Partial<Record<ResourceKind, PointEvent[]>> = {};
for (const entry of SPEC.split(" ")) {
  const [kind, ops] = entry.split(":") as [ResourceKind, string];
  const [call, point] = ops.split("/") as [string, string];
  calls[kind] = call.split(",") as CallOp[];
  points[kind] = [...(point.split(",") as PointEvent[]), "handoff"];
}

/** The TracingChannels, by kind. */
export const CALLS = calls as Readonly<Record<ResourceKind, readonly CallOp[]>>;

/** The point channels, by kind. */
export const POINTS = points as Readonly<Record<ResourceKind, readonly PointEvent[]>>;

/** How the probe publishes: only what has subscribers is published. */
export interface Publisher {
  /** Runs `fn`, traced on the TracingChannel of `message` if it has subscribers (`sync`: a blocking call). */
  trace<R>(message: CallMessage, fn: () => R, sync: boolean): R;
  point(message: PointMessage): void;
}

const HOOKED = ["subscribe", "unsubscribe", "bindStore", "unbindStore"] as const;

/**
 * Opens every channel (so that a subscription made before or after this sees the same objects) and
 * calls `changed(active)` whenever whether any of them has a subscriber changes. Undefined without
 * diagnostics_channel.
 */
export function openChannels(changed: (active: boolean) => void): Publisher | undefined {
  const dc = diagnosticsChannel();
  if (dc === undefined) return undefined;
  /** By `kind:name`: the channel, and the channels whose subscribers it publishes to. */
  const opened = new Map<string, [ChannelLike & TracingChannelLike, ChannelLike[]]>();
  const all: ChannelLike[] = [];
  let active = false;
  const recount = (): void => {
    if (all.some((c) => c.hasSubscribers) !== active) changed((active = !active));
  };
  for (const kind of Object.keys(CALLS) as ResourceKind[]) {
    for (const name of [...CALLS[kind], ...POINTS[kind]]) {
      const traced = (CALLS[kind] as string[]).includes(name);
      const full = `threadkit:${kind}:${name}`;
      const c = (traced ? dc.tracingChannel(full) : dc.channel(full)) as ChannelLike & TracingChannelLike;
      const parts = traced ? [c.start, c.end, c.asyncStart, c.asyncEnd, c.error] : [c];
      opened.set(`${kind}:${name}`, [c, parts]);
      for (const part of parts) {
        all.push(part);
        for (const method of HOOKED) {
          Object.defineProperty(part, method, {
            configurable: true,
            writable: true,
            value(this: object, ...args: unknown[]): unknown {
              try {
                return (Object.getPrototypeOf(this) as Record<string, Function>)[method]?.apply(this, args);
              } finally {
                recount();
              }
            },
          });
        }
      }
    }
  }
  recount();
  const subscribed = (key: string) => {
    const found = opened.get(key);
    return found?.[1].some((c) => c.hasSubscribers) ? found[0] : undefined;
  };
  return {
    trace<R>(m: CallMessage, fn: () => R, sync: boolean): R {
      const tc = subscribed(`${m.kind}:${m.op}`);
      if (tc === undefined) return fn();
      return sync ? tc.traceSync(fn, m) : (tc.tracePromise(fn as () => Promise<unknown>, m) as R);
    },
    point(m: PointMessage): void {
      subscribed(`${m.kind}:${m.event}`)?.publish(m);
    },
  };
}
