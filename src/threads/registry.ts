/**
 * The running Threads of the process, for `enumerate()` and `activeCount()` on any thread (as Python's).
 *
 * One SharedArrayBuffer that every thread reaches, published with `setEnvironmentData` as ./liveness.ts
 * does (Node clones it into every Worker spawned later). A Thread's parent writes its slot before the worker
 * starts (ident, daemon, name), and whoever sees the thread finish (the worker itself, or the parent when it
 * exits otherwise) frees it. A slot names its thread by ident, so a slot freed and taken again never passes
 * for the thread that had it; a thread that died unseen (its whole branch of workers stopped) is dropped by
 * whoever next finds it dead in ./liveness.ts.
 *
 * Names longer than NAME_UNITS UTF-16 units are listed cut to that length on other threads; a process with
 * more than SLOTS running Threads lists the others only on the thread that started them.
 */
import { isDead } from "./liveness.ts";
import { canBlock, keepAlive, letGo, waitAsync, workerThreads } from "./runtime.ts";

const KEY = "threadkit/threads:threads:1";
const SLOTS = 512;
const NAME_UNITS = 120;
/** Words a slot takes: STATE, IDENT, DAEMON, LENGTH, then the name, two units a word. */
const SLOT = 4 + NAME_UNITS / 2;
const STATE = 0;
const IDENT = 1;
const DAEMON = 2;
const LENGTH = 3;
const NAME = 4;

/** Slot states: free, being written by its claimer, or a running thread. */
const FREE = 0;
const WRITING = 1;
const RUNNING = 2;

function open(): Int32Array {
  const bytes = SLOTS * SLOT * 4;
  // Without shared memory (a page not cross-origin isolated) the tier refuses every primitive, but it must
  // still load: this thread's own words stand in.
  if (typeof SharedArrayBuffer === "undefined") return new Int32Array(bytes / 4);
  const wt = workerThreads;
  let buffer = wt?.getEnvironmentData?.(KEY);
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== bytes) {
    buffer = new SharedArrayBuffer(bytes);
    wt?.setEnvironmentData?.(KEY, buffer);
  }
  return new Int32Array(buffer as SharedArrayBuffer);
}

const slots = open();
const units = new Uint16Array(slots.buffer);

/** What the registry says of a running thread. */
export interface Entry {
  slot: number;
  ident: number;
  daemon: boolean;
  name: string;
}

/** Records a thread that is starting; returns its slot, or -1 if every slot is taken. */
export function register(ident: number, daemon: boolean, name: string): number {
  for (let s = 0; s < SLOTS; s++) {
    const at = s * SLOT;
    if (Atomics.load(slots, at + STATE) !== FREE) continue;
    if (Atomics.compareExchange(slots, at + STATE, FREE, WRITING) !== FREE) continue;
    const n = Math.min(name.length, NAME_UNITS);
    const u = (at + NAME) * 2;
    for (let k = 0; k < n; k++) units[u + k] = name.charCodeAt(k);
    slots[at + LENGTH] = n;
    slots[at + DAEMON] = daemon ? 1 : 0;
    slots[at + IDENT] = ident;
    Atomics.store(slots, at + STATE, RUNNING); // publishes the words above
    return s;
  }
  return -1;
}

/** Thread `ident` has finished: frees its slot, wherever it is (the worker itself does not know it). */
export function forget(ident: number): void {
  for (let s = 0; s < SLOTS; s++) {
    if (Atomics.load(slots, s * SLOT + IDENT) === ident) unregister(s, ident);
  }
}

/** Thread `ident` of `slot` has finished: its slot is free again (once: the first caller frees it). */
export function unregister(slot: number, ident: number): void {
  if (slot < 0) return;
  const at = slot * SLOT;
  if (Atomics.load(slots, at + IDENT) !== ident) return;
  if (Atomics.compareExchange(slots, at + STATE, RUNNING, WRITING) !== RUNNING) return;
  if (slots[at + IDENT] === ident) {
    slots[at + IDENT] = 0;
    Atomics.store(slots, at + STATE, FREE);
    Atomics.notify(slots, at + STATE);
  } else Atomics.store(slots, at + STATE, RUNNING); // another thread's slot by now: left as it was
}

/** Whether thread `ident` still runs according to its slot. */
export function running(slot: number, ident: number): boolean {
  const at = slot * SLOT;
  if (Atomics.load(slots, at + STATE) !== RUNNING || Atomics.load(slots, at + IDENT) !== ident) return false;
  if (!isDead(ident + 1)) return true;
  unregister(slot, ident); // died unseen
  return false;
}

/** Every thread that runs now, by the registry. */
export function entries(): Entry[] {
  const found: Entry[] = [];
  for (let s = 0; s < SLOTS; s++) {
    const at = s * SLOT;
    if (Atomics.load(slots, at + STATE) !== RUNNING) continue;
    const ident = slots[at + IDENT] as number;
    if (!running(s, ident)) continue;
    const n = slots[at + LENGTH] as number;
    const u = (at + NAME) * 2;
    let name = "";
    for (let k = 0; k < n; k++) name += String.fromCharCode(units[u + k] as number);
    found.push({ slot: s, ident, daemon: slots[at + DAEMON] === 1, name });
  }
  return found;
}

/**
 * Waits until thread `ident` of `slot` no longer runs, or `ms` have passed (`Infinity`: no limit); true if it
 * finished. Sleeps on the slot's STATE in slices (a death that nobody reports frees no slot).
 */
export function waitFinishedSync(slot: number, ident: number, ms: number): boolean {
  const deadline = performance.now() + ms;
  for (;;) {
    if (!running(slot, ident)) return true;
    const rest = deadline - performance.now();
    if (rest <= 0) return false;
    if (canBlock) Atomics.wait(slots, slot * SLOT + STATE, RUNNING, Math.min(rest, 100));
  }
}

/** The async twin of `waitFinishedSync`; an abort of `signal` rejects with its reason. */
export async function waitFinished(
  slot: number,
  ident: number,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const deadline = performance.now() + ms;
  const word = slot * SLOT + STATE;
  const wake = () => Atomics.notify(slots, word); // the waiters of this slot look again (and see the abort)
  signal?.addEventListener("abort", wake);
  keepAlive();
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      if (!running(slot, ident)) return true;
      const rest = deadline - performance.now();
      if (rest <= 0) return false;
      const r = waitAsync(slots, word, RUNNING, Math.min(rest, 100));
      if (r.async) await r.value;
    }
  } finally {
    letGo();
    signal?.removeEventListener("abort", wake);
  }
}
