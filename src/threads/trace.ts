/**
 * Tracing of this tier's shells: what a traced method calls (each begins with one line,
 * `if (probe.on && probe.self !== this) return callAsync(this, ...)`, which costs one boolean check while
 * nobody listens), and how a primitive is named to the probe (../internal/probe.ts). What only the core
 * sees (a waiter queued, a hand-off) the core reports itself (./futex.ts).
 *
 * A primitive's id is the same on every thread: the first thread that traces it writes one in its buffer's
 * TRACE_ID word ("T<thread>.<n>": that thread's owner word and its count), and every thread reads it there.
 */
import type { WaitOptions } from "../api/options.ts";
import type { CallOp, PointEvent, ResourceKind, ResourceRef } from "../internal/channels.ts";
import { type Holder, point, resourceOf, timeoutOf, traceAsync, traceSync } from "../internal/probe.ts";
import { KIND, Kind, STATE, TRACE_ID, VALUE_MASK } from "./layout.ts";
import { ME } from "./runtime.ts";

/** The resource kind of each primitive kind word (./layout.ts). */
export const KINDS: Record<number, ResourceKind> = {
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

type Method<R> = (this: never, ...args: never[]) => R;

/** Traces a call of `shell` that returns a promise: `method` on it with `a`, `b` (see traceAsync). */
export function callAsync<R>(
  shell: object,
  op: CallOp,
  opts: WaitOptions | undefined,
  method: Method<Promise<R>>,
  a?: unknown,
  b?: unknown,
): Promise<R> {
  return traceAsync(shell, resourceOfShell(shell as Shell), op, timeoutOf(opts), method, a, b);
}

/** Traces a blocking call of `shell` (`opts` 0: a try). */
export function callSync<R>(
  shell: object,
  op: CallOp,
  opts: WaitOptions | undefined | 0,
  method: Method<R>,
  a?: unknown,
  b?: unknown,
): R {
  return traceSync(
    shell,
    resourceOfShell(shell as Shell),
    op,
    opts === 0 ? 0 : timeoutOf(opts),
    method,
    a,
    b,
  );
}

/** A point event of `shell`. */
export function pointOf(shell: object, event: Exclude<PointEvent, "handoff">, n = 1): void {
  point(resourceOfShell(shell as Shell), event, n);
}
