/**
 * Values that shared memory cannot hold (a thrown error, whole), passed to another thread by ticket: the
 * sender posts the value on a process-wide BroadcastChannel, then writes the ticket (its owner word and a
 * number of its own) into two words of an anchor buffer; whoever reads the ticket there takes the value out
 * of its channel synchronously (receiveMessageOnPort), which works while its event loop is blocked: a post
 * is in every open channel's queue when postMessage returns.
 *
 * A receiver must have opened its channel (`open()`) before the value was posted: a Barrier's parties open
 * it before they arrive, and a round's action runs after its last party arrived. Every thread with an open
 * channel receives every value; each keeps the ones it took in, until the anchor's words no longer name
 * them (the value was claimed, or a newer one replaced it). An unref'd listener takes them in, so that a
 * thread's queue does not grow while its event loop runs; it never keeps the process alive.
 */
import { ME, workerThreads } from "./runtime.ts";

const NAME = "threadkit/threads:exchange";

interface Posted {
  from: number;
  seq: number;
  value: unknown;
  anchor: SharedArrayBuffer;
  at: number;
  /** Kept by the thread that posted it: `value` is the original, not the copy that crossed. */
  local?: boolean;
}

type Channel = import("node:worker_threads").BroadcastChannel & { unref?(): void };

let channel: Channel | undefined;
let seq = 0;
/** What this thread took in (or posted itself), by ticket. */
const held = new Map<string, Posted>();
let sweeping: ReturnType<typeof setTimeout> | undefined;

const keyOf = (from: number, n: number): string => `${from}:${n}`;

/** Opens this thread's channel (idempotent). False where the host has no BroadcastChannel. */
export function open(): boolean {
  if (channel !== undefined) return true;
  const Ctor = workerThreads?.BroadcastChannel;
  if (Ctor === undefined) return false;
  channel = new Ctor(NAME) as Channel;
  channel.onmessage = (event) => keep((event as unknown as { data: Posted }).data);
  channel.unref?.();
  return true;
}

/**
 * Posts `wire` (structured-cloneable) and writes its ticket into `anchor[at]` and `anchor[at + 1]` (the
 * caller holds whatever guards those words). This thread keeps `original`: a claim here gets it itself.
 */
export function deposit(original: unknown, wire: unknown, anchor: Int32Array, at: number): void {
  seq = (seq + 1) | 0 || 1;
  // The ticket first: a thread that takes the value in keeps it only while the anchor names it.
  Atomics.store(anchor, at + 1, seq);
  Atomics.store(anchor, at, ME);
  const posted: Posted = { from: ME, seq, value: wire, anchor: anchor.buffer as SharedArrayBuffer, at };
  if (open()) channel!.postMessage(posted);
  keep({ ...posted, value: original, local: true });
}

/**
 * The value whose ticket `anchor[at]`, `anchor[at + 1]` holds, in a box (the words are cleared: it is
 * claimed once), or undefined if there is none or it never reached this thread.
 */
export function claim(anchor: Int32Array, at: number): { value: unknown; local: boolean } | undefined {
  const from = Atomics.load(anchor, at);
  const n = Atomics.load(anchor, at + 1);
  if (from === 0) return undefined;
  take();
  const key = keyOf(from, n);
  const posted = held.get(key);
  Atomics.store(anchor, at, 0);
  held.delete(key);
  return posted === undefined ? undefined : { value: posted.value, local: posted.local === true };
}

/** Takes in whatever this thread's channel holds. */
function take(): void {
  const wt = workerThreads;
  if (channel === undefined || wt === undefined) return;
  // Node takes a BroadcastChannel here too (its types say only MessagePort).
  const port = channel as unknown as import("node:worker_threads").MessagePort;
  for (let m = wt.receiveMessageOnPort(port); m !== undefined; m = wt.receiveMessageOnPort(port)) {
    keep(m.message as Posted);
  }
}

function keep(posted: Posted): void {
  held.set(keyOf(posted.from, posted.seq), posted);
  sweep();
}

/** Drops what is no longer claimable; while something is kept, looks again now and then. */
function sweep(): void {
  for (const [key, p] of held) {
    const i32 = new Int32Array(p.anchor, p.at * 4, 2);
    if (Atomics.load(i32, 0) !== p.from || Atomics.load(i32, 1) !== p.seq) held.delete(key);
  }
  if (held.size > 0 && sweeping === undefined) {
    sweeping = setTimeout(() => {
      sweeping = undefined;
      sweep();
    }, 1_000);
    (sweeping as { unref?(): void }).unref?.();
  }
}
