/**
 * Values that shared memory cannot hold (a thrown error, whole; a SharedArrayBuffer that replaces another),
 * passed to other threads by ticket: the sender writes the ticket (its owner word and a number of its own)
 * into two words of an anchor buffer, then posts the value on a process-wide BroadcastChannel; whoever reads
 * the ticket there takes the value out of its channel synchronously (receiveMessageOnPort), which works
 * while its event loop is blocked: a post is in every open channel's queue when postMessage returns.
 *
 * Every thread that loads this tier opens its channel at once, and a Thread's worker starts with what its
 * parent holds (`held()`, in its workerData), so a value posted before a thread existed still reaches it. A
 * thread that misses one anyway (a worker that another thread posted to while it was starting, or one not
 * started by a Thread) asks for it, and any thread holding it whose event loop runs posts it again.
 *
 * Each thread keeps the values it took in until the anchor's words no longer name them (the value was
 * claimed, or a newer one replaced it). Values that have no words of their own to anchor them (a queue item
 * that holds shared memory: entries move) take a slot of a process-wide table of tickets (`depositItem`). An unref'd listener takes them in, so that a thread's queue does not
 * grow while its event loop runs; it never keeps the process alive.
 */
import { canBlock, ME, workerThreads } from "./runtime.ts";

const NAME = "threadkit/threads:exchange";
/** How long a thread that missed a value waits for another to post it again. */
const ASK_MS = 5_000;

/** A value as it crosses, with its ticket and where the ticket lives. */
export interface Posted {
  from: number;
  seq: number;
  value: unknown;
  anchor: SharedArrayBuffer;
  at: number;
}

interface Kept {
  posted: Posted;
  /** On the thread that posted it: the original (an error object itself, not the copy that crossed). */
  original?: unknown;
}

type Channel = import("node:worker_threads").BroadcastChannel & { unref?(): void };

let seq = 0;
/** What this thread took in (or posted itself), by ticket. */
const kept = new Map<string, Kept>();
let sweeping: ReturnType<typeof setTimeout> | undefined;

const keyOf = (from: number, n: number): string => `${from}:${n}`;

const channel: Channel | undefined = (() => {
  const Ctor = workerThreads?.BroadcastChannel;
  if (Ctor === undefined) return undefined;
  const c = new Ctor(NAME) as Channel;
  c.onmessage = (event) => receive((event as unknown as { data: Posted | { want: string } }).data);
  c.unref?.();
  return c;
})();

/**
 * The tickets of values that anchor nowhere else: TICKETS pairs of words in one SharedArrayBuffer that every
 * thread reaches (published as ./liveness.ts publishes its registry). A slot is free while its first word
 * is 0; RESERVED while its taker writes it.
 */
const TICKETS = 4096;
const RESERVED = -1;
const TICKETS_KEY = "threadkit/threads:tickets:1";
const tickets: Int32Array = (() => {
  // Without shared memory (a page not cross-origin isolated) the tier refuses every primitive, but it must
  // still load: this thread's own words stand in.
  if (typeof SharedArrayBuffer === "undefined") return new Int32Array(TICKETS * 2);
  const wt = workerThreads;
  let buffer = wt?.getEnvironmentData?.(TICKETS_KEY);
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== TICKETS * 8) {
    buffer = new SharedArrayBuffer(TICKETS * 8);
    wt?.setEnvironmentData?.(TICKETS_KEY, buffer);
  }
  return new Int32Array(buffer as SharedArrayBuffer);
})();
let hint = 0;

/**
 * Posts `value` (a copy is kept here, made now, as the copy that crosses) under a ticket of the table;
 * returns its slot. TypeError if every slot is taken.
 */
export function depositItem(value: unknown): number {
  for (let i = 0; i < TICKETS; i++) {
    const slot = (hint + i) % TICKETS;
    if (Atomics.load(tickets, slot * 2) !== 0) continue;
    if (Atomics.compareExchange(tickets, slot * 2, 0, RESERVED) !== 0) continue;
    hint = slot + 1;
    try {
      deposit(structuredClone(value), value, tickets, slot * 2);
    } catch (error) {
      Atomics.store(tickets, slot * 2, 0);
      throw error;
    }
    return slot;
  }
  throw new TypeError(
    `a threadkit/threads queue carries at most ${TICKETS} items holding a SharedArrayBuffer at a time`,
  );
}

/** The value of the ticket in `slot`, which is free again; undefined if it cannot be had. */
export function claimItem(slot: number): { value: unknown } | undefined {
  return claim(tickets, slot * 2);
}

/** Lets go of the ticket in `slot` without taking its value (an item dropped unread). */
export function dropItem(slot: number): void {
  Atomics.store(tickets, slot * 2, 0);
}

/** What this thread holds now, for a worker it starts (see the top of this file). */
export function held(): Posted[] {
  sweep();
  return [...kept.values()].map((k) => k.posted);
}

/** Takes in what a parent held when it started this thread. */
export function seed(values: readonly Posted[] | undefined): void {
  for (const posted of values ?? []) keep({ posted });
}

/**
 * Writes a ticket into `anchor[at]` and `anchor[at + 1]` (the caller holds whatever guards those words),
 * then posts `wire` (structured-cloneable) under it. This thread keeps `original`: a claim here gets it.
 */
export function deposit(original: unknown, wire: unknown, anchor: Int32Array, at: number): void {
  seq = (seq + 1) | 0 || 1;
  // The ticket first: a thread that takes the value in keeps it only while the anchor names it.
  Atomics.store(anchor, at + 1, seq);
  Atomics.store(anchor, at, ME);
  const posted: Posted = { from: ME, seq, value: wire, anchor: anchor.buffer as SharedArrayBuffer, at };
  channel?.postMessage(posted);
  keep({ posted, original });
}

/**
 * The value whose ticket `anchor[at]`, `anchor[at + 1]` holds, in a box, and clears the ticket (it is
 * claimed once); undefined if there is none or it cannot be had. `local`: the original, not a copy.
 */
export function claim(anchor: Int32Array, at: number): { value: unknown; local: boolean } | undefined {
  const found = look(anchor, at);
  if (found !== undefined) {
    Atomics.store(anchor, at, 0);
    kept.delete(keyOf(found.posted.from, found.posted.seq));
  }
  return found && { value: found.original ?? found.posted.value, local: found.original !== undefined };
}

/**
 * As `claim`, for a value every thread reads (the ticket stays): undefined if it cannot be had. Unless
 * `ask`, only what this thread has already received (a look that never waits).
 */
export function fetch(anchor: Int32Array, at: number, ask = true): unknown {
  const found = look(anchor, at, ask);
  return found === undefined ? undefined : (found.original ?? found.posted.value);
}

function look(anchor: Int32Array, at: number, ask = true): Kept | undefined {
  const from = Atomics.load(anchor, at);
  if (from === 0) return undefined;
  const key = keyOf(from, Atomics.load(anchor, at + 1));
  take();
  let found = kept.get(key);
  if (found !== undefined || channel === undefined || !ask) return found;
  channel.postMessage({ want: key }); // missed: ask whoever has it to post it again
  const deadline = performance.now() + ASK_MS;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (found === undefined && performance.now() < deadline) {
    if (canBlock) Atomics.wait(nap, 0, 0, 1);
    take();
    found = kept.get(key);
    if (Atomics.load(anchor, at) !== from) return undefined; // replaced or claimed meanwhile
  }
  return found;
}

/** Takes in whatever this thread's channel holds. */
function take(): void {
  const wt = workerThreads;
  if (channel === undefined || wt === undefined) return;
  // Node takes a BroadcastChannel here too (its types say only MessagePort).
  const port = channel as unknown as import("node:worker_threads").MessagePort;
  for (let m = wt.receiveMessageOnPort(port); m !== undefined; m = wt.receiveMessageOnPort(port)) {
    receive(m.message as Posted | { want: string });
  }
}

function receive(message: Posted | { want: string }): void {
  if ("want" in message) {
    const found = kept.get(message.want);
    if (found !== undefined && live(found.posted)) channel?.postMessage(found.posted);
  } else keep({ posted: message });
}

function keep(k: Kept): void {
  const key = keyOf(k.posted.from, k.posted.seq);
  if (!kept.has(key) || k.original !== undefined) kept.set(key, k);
  sweep();
}

function live(p: Posted): boolean {
  const i32 = new Int32Array(p.anchor, p.at * 4, 2);
  return Atomics.load(i32, 0) === p.from && Atomics.load(i32, 1) === p.seq;
}

/** Drops what is no longer claimable; while something is kept, looks again now and then. */
function sweep(): void {
  for (const [key, k] of kept) if (!live(k.posted)) kept.delete(key);
  if (kept.size > 0 && sweeping === undefined) {
    sweeping = setTimeout(() => {
      sweeping = undefined;
      sweep();
    }, 1_000);
    (sweeping as { unref?(): void }).unref?.();
  }
}
