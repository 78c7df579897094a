/**
 * What crosses postMessage. A primitive of this tier is a view on a SharedArrayBuffer; `toHandle` gives a
 * plain, structured-cloneable object holding that buffer and the kind, and `fromHandle` turns it back into a
 * live primitive of the right class, on any thread. Both sides then act on the same shared words.
 *
 *   worker.postMessage({ lock: toHandle(lock) });          // main thread
 *   const lock = fromHandle(message.lock);                 // worker: the same lock
 *
 * A handle can be sent any number of times, to any number of threads; every primitive made from it is the
 * same primitive (no per-thread state is kept outside the buffer).
 */
import { Barrier } from "./barrier.ts";
import { Condition } from "./condition.ts";
import { Event } from "./event.ts";
import { attach, Kind, type KindName } from "./layout.ts";
import { Lock } from "./lock.ts";
import { LifoQueue, PriorityQueue, Queue, type QueueBuffers, SimpleQueue } from "./queue.ts";
import { RLock } from "./rlock.ts";
import { BoundedSemaphore, Semaphore } from "./semaphore.ts";

/** The classes a handle can name, by kind. */
export interface Primitives {
  Lock: Lock;
  RLock: RLock;
  Semaphore: Semaphore;
  BoundedSemaphore: BoundedSemaphore;
  Event: Event;
  Condition: Condition;
  Barrier: Barrier;
  Queue: Queue<unknown>;
  LifoQueue: LifoQueue<unknown>;
  PriorityQueue: PriorityQueue<unknown>;
  SimpleQueue: SimpleQueue<unknown>;
}
export type HandleKind = keyof Primitives & KindName;

/** A threads-tier primitive, ready for postMessage / workerData. */
export interface Handle<K extends HandleKind = HandleKind> {
  readonly threadkit: "threads";
  readonly kind: K;
  readonly buffer: SharedArrayBuffer;
  /** A Condition's lock. */
  readonly lock?: Handle<"Lock" | "RLock">;
  /** A queue's other buffers (its putters' and joiners' FIFOs, its storage). */
  readonly queue?: QueueBuffers;
}

const queueKinds = new Set<string>(["Queue", "LifoQueue", "PriorityQueue", "SimpleQueue"]);
type QueueKindName = "Queue" | "LifoQueue" | "PriorityQueue" | "SimpleQueue";

export type Primitive = Primitives[HandleKind];

/** The classes whose buffer is all they need (a Condition also needs its lock, a queue its other buffers). */
const classes: {
  [K in Exclude<HandleKind, "Condition" | QueueKindName>]: {
    _attach(buffer: SharedArrayBuffer): Primitives[K];
  };
} = { Lock, RLock, Semaphore, BoundedSemaphore, Event, Barrier };

/** The handle of a threads-tier primitive. TypeError for anything else (a local-tier Lock cannot cross). */
export function toHandle(primitive: Condition): Handle<"Condition">;
export function toHandle(primitive: BoundedSemaphore): Handle<"BoundedSemaphore">;
export function toHandle(primitive: Semaphore): Handle<"Semaphore">;
export function toHandle(primitive: RLock): Handle<"RLock">;
export function toHandle(primitive: Lock): Handle<"Lock">;
export function toHandle(primitive: Event): Handle<"Event">;
export function toHandle(primitive: Barrier): Handle<"Barrier">;
export function toHandle(primitive: SimpleQueue<unknown>): Handle<"SimpleQueue">;
export function toHandle(primitive: PriorityQueue<unknown>): Handle<"PriorityQueue">;
export function toHandle(primitive: LifoQueue<unknown>): Handle<"LifoQueue">;
export function toHandle(primitive: Queue<unknown>): Handle<"Queue">;
export function toHandle(primitive: Primitive): Handle;
export function toHandle(primitive: Primitive): Handle {
  const kind = kindOf(primitive);
  if (primitive instanceof SimpleQueue) return { threadkit: "threads", kind, ...primitive._queue._buffers() };
  if (primitive instanceof Queue) return { threadkit: "threads", kind, ...primitive._buffers() };
  const buffer = primitive._core.i32.buffer as SharedArrayBuffer;
  return primitive instanceof Condition
    ? { threadkit: "threads", kind, buffer, lock: toHandle(primitive._lock) as Handle<"Lock" | "RLock"> }
    : { threadkit: "threads", kind, buffer };
}

/** A live primitive over the handle's buffer. TypeError if `handle` is not a handle this tier made. */
export function fromHandle<K extends HandleKind>(handle: Handle<K>): Primitives[K] {
  if (!isHandle(handle)) throw new TypeError("not a threadkit/threads handle");
  attach(handle.buffer, Kind[handle.kind]); // checks the buffer really is one of this kind
  if (queueKinds.has(handle.kind)) {
    const buffers = handle.queue;
    if (typeof buffers !== "object" || buffers === null)
      throw new TypeError("a queue handle carries its buffers");
    const kind = Kind[handle.kind as QueueKindName];
    return (
      kind === Kind.SimpleQueue
        ? SimpleQueue._attach(handle.buffer, buffers)
        : Queue._attach(handle.buffer, buffers, kind)
    ) as Primitives[K];
  }
  if (handle.kind === "Condition") {
    const lock = handle.lock;
    if (lock === undefined || (lock.kind !== "Lock" && lock.kind !== "RLock")) {
      throw new TypeError("a Condition handle carries its Lock or RLock");
    }
    return Condition._attach(handle.buffer, fromHandle(lock)) as Primitives[K];
  }
  return classes[handle.kind as Exclude<HandleKind, "Condition" | QueueKindName>]._attach(
    handle.buffer,
  ) as Primitives[K];
}

/** Whether `value` looks like a handle of this tier (for walking `args` that mix values and handles). */
export function isHandle(value: unknown): value is Handle {
  if (typeof value !== "object" || value === null) return false;
  const { threadkit, kind, buffer } = value as Partial<Handle>;
  return (
    threadkit === "threads" &&
    typeof kind === "string" &&
    (kind === "Condition" || queueKinds.has(kind) || Object.hasOwn(classes, kind)) &&
    buffer instanceof SharedArrayBuffer
  );
}

/** Whether `value` is a primitive of this tier (one `toHandle` accepts). */
export function isPrimitive(value: unknown): value is Primitive {
  return (
    value instanceof Lock ||
    value instanceof RLock ||
    value instanceof Semaphore ||
    value instanceof Event ||
    value instanceof Condition ||
    value instanceof Barrier ||
    value instanceof Queue ||
    value instanceof SimpleQueue
  );
}

function kindOf(primitive: unknown): HandleKind {
  if (primitive instanceof BoundedSemaphore) return "BoundedSemaphore";
  if (primitive instanceof Semaphore) return "Semaphore";
  if (primitive instanceof RLock) return "RLock";
  if (primitive instanceof Lock) return "Lock";
  if (primitive instanceof Event) return "Event";
  if (primitive instanceof Condition) return "Condition";
  if (primitive instanceof Barrier) return "Barrier";
  if (primitive instanceof PriorityQueue) return "PriorityQueue";
  if (primitive instanceof LifoQueue) return "LifoQueue";
  if (primitive instanceof Queue) return "Queue";
  if (primitive instanceof SimpleQueue) return "SimpleQueue";
  throw new TypeError("toHandle takes a threadkit/threads primitive");
}
