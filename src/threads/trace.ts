/**
 * Tracing of this tier's shells, kept apart from them: each shell file ends with one `traced(...)` line
 * naming which of its methods are calls that may wait and which are point events, and this wraps them so
 * that they report to the probe (../internal/probe.ts). While nobody listens a wrapped method costs one
 * boolean check and a forwarding call. What only the core sees (a waiter queued, a hand-off) the core
 * reports itself (./futex.ts).
 *
 * A primitive's id is the same on every thread: the first thread that traces it writes one in its buffer's
 * TRACE_ID word ("T<thread>.<n>": that thread's owner word and its count), and every thread reads it there.
 */
import type { WaitOptions } from "../api/options.ts";
import type { CallOp, PointEvent, ResourceKind, ResourceRef } from "../internal/channels.ts";
import {
  type Holder,
  point,
  probe,
  resourceOf,
  timeoutOf,
  traceAsync,
  traceSync,
} from "../internal/probe.ts";
import { KIND, Kind, STATE, TRACE_ID, VALUE_MASK } from "./layout.ts";
import { ME } from "./runtime.ts";

const KINDS: Record<number, ResourceKind> = {
  [Kind.Lock]: "lock",
  [Kind.RLock]: "rlock",
  [Kind.Semaphore]: "semaphore",
  [Kind.BoundedSemaphore]: "semaphore",
  [Kind.Event]: "event",
  [Kind.Condition]: "condition",
  [Kind.Barrier]: "barrier",
  [Kind.Queue]: "queue",
  [Kind.LifoQueue]: "queue",
  [Kind.PriorityQueue]: "queue",
  [Kind.SimpleQueue]: "queue",
};

let given = 0;

/** The shared id of a primitive made of the buffers of `words` (the first holds it; the others get it too). */
function sharedId(words: readonly Int32Array[]): string {
  const first = words[0]!;
  let id = Atomics.load(first, TRACE_ID);
  if (id === 0) {
    const mine = ((ME & 0x7fff) << 16) | (++given & 0xffff) || 1;
    id = Atomics.compareExchange(first, TRACE_ID, 0, mine) || mine;
  }
  for (let i = 1; i < words.length; i++) Atomics.compareExchange(words[i]!, TRACE_ID, 0, id);
  return `T${id >>> 16}.${id & 0xffff}`;
}

/** The ResourceRef of the primitive whose (first) buffer is `i32`, as the core knows it. */
export function resourceOfWords(i32: Int32Array, more: readonly Int32Array[] = []): ResourceRef {
  const kind = KINDS[i32[KIND] as number] ?? "lock";
  const owned = kind === "lock" || kind === "rlock";
  return resourceOf(i32.buffer, kind, () => sharedId([i32, ...more]), owned ? () => ownerOf(i32) : undefined);
}

/** A Lock's or RLock's holder, from the owner word in STATE (thread id + 1; 0: free). */
function ownerOf(i32: Int32Array): readonly Holder[] {
  const owner = Atomics.load(i32, STATE) & VALUE_MASK;
  return owner === 0 ? [] : [{ thread: owner - 1 }];
}

/** What a shell is traced by: its buffers' words (a queue has three FIFOs, the first names it). */
type Shell = {
  _core?: { i32: Int32Array };
  _gets?: { i32: Int32Array };
  _puts?: { i32: Int32Array };
  _joins?: { i32: Int32Array };
  _queue?: Shell;
};

function resourceOfShell(shell: Shell): ResourceRef {
  if (shell._queue !== undefined) return resourceOfShell(shell._queue);
  if (shell._core !== undefined) return resourceOfWords(shell._core.i32);
  return resourceOfWords(shell._gets!.i32, [shell._puts!.i32, shell._joins!.i32]);
}

/**
 * How a method is traced: a call (`[op, "async" | "sync" | "try"]`; a try takes no options and never
 * waits) or a point event, optionally only when `when(shell)` holds just before it runs (an RLock's last
 * level). A point event's `n` is the method's first argument when it is a number.
 */
type How =
  | readonly [CallOp, "async" | "sync" | "try"]
  | {
      readonly event: Exclude<PointEvent, "handoff">;
      readonly when?: (shell: never) => boolean;
      /** What `n` says, when not the first argument (notifyAll: Infinity). */
      readonly n?: number;
    };

// Two arguments at most (a put's item and options), passed on as they came: no rest array on a hot path.
type Method = (this: Shell, a?: unknown, b?: unknown) => unknown;

/** Wraps the methods of `cls` named in `methods` so that they report to the probe while it is on. */
export function traced(cls: { prototype: object }, methods: Record<string, How>): void {
  const proto = cls.prototype as Record<string, Method>;
  for (const [name, how] of Object.entries(methods)) {
    const inner = proto[name]!;
    let outer: Method;
    if (Array.isArray(how)) {
      const [op, mode] = how as readonly [CallOp, "async" | "sync" | "try"];
      // Calls take their options last (a put's item comes first).
      const optsOf = (a: unknown, b: unknown): WaitOptions | undefined =>
        (op === "put" ? b : a) as WaitOptions | undefined;
      outer =
        mode === "async"
          ? function (this: Shell, a?: unknown, b?: unknown) {
              if (!probe.on) return inner.call(this, a, b);
              const run = () => inner.call(this, a, b) as Promise<unknown>;
              return traceAsync(resourceOfShell(this), op, timeoutOf(optsOf(a, b)), run);
            }
          : function (this: Shell, a?: unknown, b?: unknown) {
              if (!probe.on) return inner.call(this, a, b);
              const ms = mode === "try" ? 0 : timeoutOf(optsOf(a, b));
              return traceSync(resourceOfShell(this), op, ms, () => inner.call(this, a, b));
            };
    } else {
      const { event, when, n } = how as {
        event: Exclude<PointEvent, "handoff">;
        when?: (s: Shell) => boolean;
        n?: number;
      };
      outer = function (this: Shell, a?: unknown, b?: unknown) {
        if (probe.on && (when === undefined || when(this))) {
          point(resourceOfShell(this), event, n ?? (typeof a === "number" ? a : 1));
        }
        return inner.call(this, a, b);
      };
    }
    Object.defineProperty(outer, "name", { value: name });
    Object.defineProperty(proto, name, {
      value: outer,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
