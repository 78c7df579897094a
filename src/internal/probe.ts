/**
 * The probe: what each tier's core and shells report (a call that may wait begins, queues, is handed what
 * it waited for, ends; a release, notify, set...), in one shape for both tiers. It forwards to the
 * diagnostics channels that have subscribers (./channels.ts) and to attached sinks (the recorder; later
 * a deadlock detector).
 *
 * Cost while nobody listens: every report sits behind `if (probe.on)`, one load of a boolean that is true
 * only while a channel has a subscriber or a sink is attached. Nothing is allocated and no id is given out
 * until then: a primitive gets its ResourceRef the first time it is traced.
 *
 * A traced call's message is made in the caller's synchronous frame and is `current` while the call's
 * synchronous part runs, so the core that queues it (in that same frame) can tie its waiter to it.
 */

import type { WaitOptions } from "../api/options.ts";
import {
  type CallMessage,
  type CallOp,
  type HandoffMessage,
  type Outcome,
  openChannels,
  type PointEvent,
  type PointMessage,
  type ResourceKind,
  type ResourceRef,
  type ThreadRef,
} from "./channels.ts";
import { waitTime } from "./checks.ts";
import { osThread } from "./runtime.ts";

/**
 * Receives every event while attached (the recorder). Called synchronously: keep it short. `at`: when a
 * point happened (performance.now() of this thread) if it is told later than that (a threads hand-off).
 */
export interface Sink {
  call(phase: "start" | "queued" | "end", message: CallMessage): void;
  point(message: PointMessage, at?: number): void;
}

/**
 * Read on every hot path: `on` is true while anyone listens. `self` is the primitive whose traced call is
 * running its own (untraced) body right now: a method that finds itself there runs as if off.
 */
export const probe: { on: boolean; self: object | undefined } = { on: false, self: undefined };

const sinks: Sink[] = [];
let channelsOn = false;
const update = (): void => {
  probe.on = channelsOn || sinks.length > 0;
};
const publisher = openChannels((active) => {
  channelsOn = active;
  update();
});

/** Attaches a sink; returns its detach. */
export function attach(sink: Sink): () => void {
  sinks.push(sink);
  update();
  return () => {
    const i = sinks.indexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
    update();
  };
}

// ---- who ------------------------------------------------------------------------------------------------

const os = osThread();
let osName = os.main ? "main" : `worker ${os.id}`;
let self: ThreadRef = { id: os.id, name: osName };
let task: (() => string | undefined) | undefined;

/** Names this OS thread (a worker's Thread names its worker). */
export function nameThread(name: string): void {
  osName = name;
  self = { id: os.id, name };
}

/** How the local tier tells which of its Threads is running (undefined outside any). */
export function taskResolver(resolve: () => string | undefined): void {
  task = resolve;
}

/** This OS thread's id. */
export const osThreadId: number = os.id;

/** Who is running now. */
export function whoami(): ThreadRef {
  if (task !== undefined) {
    let name: string | undefined;
    try {
      name = task();
    } catch {
      name = undefined; // a runtime that cannot tell (no AsyncLocalStorage): the OS thread
    }
    if (name !== undefined) return { id: os.id, name };
  }
  return self;
}

// ---- resources ------------------------------------------------------------------------------------------

const resources = new WeakMap<object, ResourceRef>();
const names = new WeakMap<object, string>();
let nextLocal = 0;

/** Who holds a primitive that has owners: the OS thread, and the owning Thread's name where it is known. */
export interface Holder {
  readonly thread: number;
  readonly name?: string;
}

/** How to ask a primitive with owners (Lock and RLock of the threads tier, the local RLock) who holds it. */
const holderFns = new WeakMap<ResourceRef, () => readonly Holder[]>();

/**
 * The ResourceRef of `key` (a primitive, or what its tier identifies it by), made on first use; `id`
 * gives a threads-tier primitive's shared id, `holders` tells who holds one that has owners.
 */
export function resourceOf(
  key: object,
  kind: ResourceKind,
  id?: () => string,
  holders?: () => readonly Holder[],
): ResourceRef {
  let r = resources.get(key);
  if (r === undefined) {
    r = { kind, id: id === undefined ? `L${++nextLocal}` : id(), name: names.get(key) };
    resources.set(key, r);
    if (holders !== undefined) holderFns.set(r, holders);
  }
  return r;
}

/** Who holds `r` now, for a primitive with owners; undefined for one without (a local Lock, an Event...). */
export function holdersOf(r: ResourceRef): readonly Holder[] | undefined {
  return holderFns.get(r)?.();
}

/** Gives `key` a name that its messages carry from now on. */
export function nameResource(key: object, name: string): void {
  names.set(key, name);
  const r = resources.get(key);
  if (r !== undefined) {
    const named = { ...r, name };
    resources.set(key, named);
    const holders = holderFns.get(r);
    if (holders !== undefined) holderFns.set(named, holders);
  }
}

// ---- calls ----------------------------------------------------------------------------------------------

let calls = 0;
/** The traced call whose synchronous part is running, if any (see the top of this file). */
let current: CallMessage | undefined;

/** The call being traced in this synchronous frame, for the core that queues it. */
export function currentCall(): CallMessage | undefined {
  return current;
}

function emit(phase: "start" | "queued" | "end", m: CallMessage): void {
  for (const s of sinks) s.call(phase, m);
}

/**
 * Traces a call of `key` that returns a promise: `method` (the call's own body: the method again, which
 * then finds `probe.self === key`) runs at once on `key` with `a` and `b`, with the call `current`. A
 * method and its arguments, not a closure: a closure in the traced method would make V8 allocate its
 * context on every call, traced or not.
 */
export function traceAsync<R>(
  key: object,
  r: ResourceRef,
  op: CallOp,
  timeout: number,
  method: (this: never, ...args: never[]) => Promise<R>,
  a?: unknown,
  b?: unknown,
): Promise<R> {
  return trace(key, r, op, timeout, method, a, b, false);
}

/** Traces a blocking call (or a try) of `key`, as `traceAsync`. */
export function traceSync<R>(
  key: object,
  r: ResourceRef,
  op: CallOp,
  timeout: number,
  method: (this: never, ...args: never[]) => R,
  a?: unknown,
  b?: unknown,
): R {
  return trace(key, r, op, timeout, method, a, b, true);
}

function trace<R>(
  key: object,
  r: ResourceRef,
  op: CallOp,
  timeout: number,
  method: (this: never, ...args: never[]) => R,
  a: unknown,
  b: unknown,
  sync: boolean,
): R {
  const m: CallMessage = {
    kind: r.kind,
    id: r.id,
    name: r.name,
    op,
    thread: whoami(),
    call: ++calls,
    timeout,
    queued: false,
    cell: -1,
    outcome: undefined,
  };
  const ended = (value: unknown, failed?: boolean): void => {
    m.outcome ??= failed ? "error" : value === false ? "timeout" : "granted";
    emit("end", m);
  };
  const run = (): R => {
    emit("start", m);
    const saved = current;
    const savedSelf = probe.self;
    current = m;
    probe.self = key;
    let value: R;
    try {
      value = (method as (this: object, a: unknown, b: unknown) => R).call(key, a, b);
    } catch (error) {
      ended(undefined, true);
      throw error;
    } finally {
      current = saved;
      probe.self = savedSelf;
    }
    if (sync) ended(value);
    else
      value = (value as Promise<unknown>).then(
        (v) => {
          ended(v);
          return v;
        },
        (error: unknown) => {
          ended(undefined, true);
          throw error;
        },
      ) as R;
    return value;
  };
  return publisher === undefined ? run() : publisher.trace(m, run, sync);
}

/** The core queued call `m` (in waiter cell `cell`, threads tier). */
export function queued(m: CallMessage, cell = -1): void {
  m.queued = true;
  m.cell = cell;
  emit("queued", m);
}

/** The core let call `m` go without what it waited for. */
export function leftEarly(m: CallMessage, outcome: Outcome): void {
  m.outcome = outcome;
}

// ---- points ---------------------------------------------------------------------------------------------

/** A release, notify, set, clear, broken, reset, shutdown or hand-off of `r`; `at`: when, if before now. */
export function point(
  r: ResourceRef,
  event: PointEvent,
  n = 1,
  to?: HandoffMessage["to"],
  at?: number,
): void {
  const m: PointMessage = { kind: r.kind, id: r.id, name: r.name, event, thread: whoami(), n };
  if (to !== undefined) (m as { to?: unknown }).to = to;
  for (const s of sinks) s.point(m, at);
  publisher?.point(m);
}

/**
 * `r` handed what a queued waiter waited for to it: its call (same OS thread), or thread and cell; `at`:
 * when (performance.now()), if that was before now.
 */
export function handoff(
  r: ResourceRef,
  to: CallMessage | { thread: number; cell: number },
  at?: number,
): void {
  point(
    r,
    "handoff",
    1,
    "call" in to
      ? { thread: to.thread.id, call: to.call, cell: to.cell }
      : { thread: to.thread, call: -1, cell: to.cell },
    at,
  );
}

/** The timeout a call's options give, for its message (bad options: the fallback; the call rejects them). */
export function timeoutOf(opts: WaitOptions | undefined, fallback = Number.POSITIVE_INFINITY): number {
  try {
    return waitTime(opts, fallback);
  } catch {
    return fallback;
  }
}
