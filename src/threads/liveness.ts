/**
 * Which threads have died: the process-wide registry behind owner-died recovery (see ./futex-recovery.ts).
 *
 * A worker that dies runs no code of ours when it is terminated, so its death is observed by the thread that
 * created it: Node emits `process.on("worker")` in the creating thread, and that thread's listener marks the
 * worker dead when its `Worker` emits "exit". A worker that ends by `process.exit()`, an uncaught error or
 * returning also marks itself from its own `process.on("exit")` (which does not run on `terminate()`), so its
 * death is known even when its parent never loaded threadkit.
 *
 * The registry is one SharedArrayBuffer that every thread reaches: the first thread to load the tier makes it
 * and publishes it with `setEnvironmentData`, which Node clones (a SharedArrayBuffer clones as the same
 * memory) into every Worker spawned later, and into their workers in turn. A thread spawned before its
 * parent loaded the tier gets a registry of its own; deaths are then not shared with it.
 *
 * Ending is not dying. A worker whose event loop ran dry (its code returned) ENDED: it chose to leave what
 * it held, which Python allows (another thread may release a Lock or a permit). A worker terminated, ended
 * by `process.exit()` or by an uncaught error DIED. The two are told apart by the exit code and by whether
 * the worker ran dry (`watchEnd` in ./runtime.ts); each primitive says which counts.
 *
 * Layout: word 0 counts ends and deaths (waiters look again only when it has moved); then SLOTS 64-bit
 * entries, then SLOTS LIFE words (thread `id` writes id + 1 into word `id % SLOTS` once its waiters are
 * pending there); the entry `id % SLOTS` describing thread `id` as (id + 1) << 32 | (parent id + 1) << 2 | fate
 * (ALIVE, ENDED or DIED). One 64-bit
 * store writes an entry whole, so a reader never sees one thread's id with another's parent or mark. A slot
 * that another thread's entry overwrote only loses what it said (an old death goes unnoticed, a parent is
 * unknown): since ids are unique and an entry names its thread, no mark is ever read for the wrong thread,
 * so a live thread is never declared dead.
 *
 * A worker dies with its parent (Node terminates the workers of a worker that stops), but nobody observes
 * those deaths one by one; so a thread also counts as dead when an ancestor ended or died.
 *
 * A parent that blocks cannot run its event loop, so it would never see the "exit" of a child it has just
 * terminated, and a thread waiting for that death (itself, say, on a guard the child held) would wait for
 * good. So a blocked thread also looks itself (`reap()`, from each slice of its blocking waits): every
 * worker keeps LIFE_WAITERS Atomics.waitAsync pending on its LIFE word, which V8 drops only when the
 * worker's isolate is torn down, after its last instruction ran; `Atomics.notify(LIFE, slot, 1)` returns
 * how many it woke, so 0 proves the worker is gone. Probing wakes one of them, which a live worker's event
 * loop re-arms; a parent only probes a child whose stop was requested (its event loop utilization reads
 * idle -1), and stops trusting probes once it may have woken them all, leaving that child to its "exit".
 */
import { threadId, waitAsync, watchEnd, workerThreads } from "./runtime.ts";

const KEY = "threadkit/threads:liveness:2";
const PARENT_KEY = "threadkit/threads:parent";
const SLOTS = 4096;
const DEATHS = 0;
const ENTRIES_AT = 8; // bytes: the 64-bit entries start after two Int32 words
const LIFE_AT = ENTRIES_AT + SLOTS * 8;
const BYTES = LIFE_AT + SLOTS * 4;
/** Async waits a worker keeps pending on its LIFE word (each probe of a live worker wakes one). */
const LIFE_WAITERS = 32;
/** Ancestors followed at most (workers nest a few levels; this bounds a walk over a corrupted chain). */
const MAX_DEPTH = 64;

interface Registry {
  counter: Int32Array;
  entries: BigInt64Array;
  life: Int32Array;
}

function open(): Registry | undefined {
  const wt = workerThreads;
  if (wt?.getEnvironmentData === undefined) return undefined;
  let buffer = wt.getEnvironmentData(KEY);
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== BYTES) {
    buffer = new SharedArrayBuffer(BYTES);
    wt.setEnvironmentData(KEY, buffer);
  }
  const sab = buffer as SharedArrayBuffer;
  return {
    counter: new Int32Array(sab, 0, 2),
    entries: new BigInt64Array(sab, ENTRIES_AT, SLOTS),
    life: new Int32Array(sab, LIFE_AT, SLOTS),
  };
}

const registry = open();

/** A thread's fate. */
export const ALIVE = 0;
export const ENDED = 1;
export const DIED = 2;

function pack(id: number, parent: number, fate: number): bigint {
  return (BigInt(id + 1) << 32n) | (BigInt(parent + 1) << 2n) | BigInt(fate);
}

function mark(id: number, parent: number, fate: number): void {
  if (registry === undefined) return;
  Atomics.store(registry.entries, id % SLOTS, pack(id, parent, fate));
  // After the mark: a waiter that reads the counter, then checks, then sees the counter move, checks again.
  if (fate !== ALIVE) Atomics.add(registry.counter, DEATHS, 1);
}

/** What the registry says of thread `id` itself: its fate, or -1 if its entry is not there. */
function ownFate(id: number): number {
  const entry = Atomics.load(registry!.entries, id % SLOTS);
  return Number(entry >> 32n) === id + 1 ? Number(entry & 3n) : -1;
}

/**
 * How many deaths this thread's registry has seen (0: none, ever). A waiter compares it with what it saw last
 * and only then looks at owners again, so a wait costs one load per slice while nobody dies.
 */
export function deaths(): number {
  return registry === undefined ? 0 : Atomics.load(registry.counter, DEATHS);
}

/**
 * The fate of the thread whose owner word (thread id + 1) is `owner`: DIED, ENDED, or ALIVE (also for the
 * main thread, a thread the registry knows nothing about, and any thread while nobody has ended or died).
 * A thread whose ancestor ended or died has DIED with it.
 */
export function fateOf(owner: number): number {
  if (registry === undefined || owner <= 1 || Atomics.load(registry.counter, DEATHS) === 0) return ALIVE;
  const entries = registry.entries;
  let id = owner - 1;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const entry = Atomics.load(entries, id % SLOTS);
    if (Number(entry >> 32n) !== id + 1) return ALIVE; // unknown (never seen, or overwritten)
    const fate = Number(entry & 3n);
    if (fate !== ALIVE) return depth === 0 ? fate : DIED;
    const parent = Number((entry >> 2n) & 0x3fffffffn) - 1;
    if (parent <= 0) return ALIVE; // the main thread, or a parent nobody recorded
    id = parent;
  }
  return ALIVE;
}

/**
 * The owner words (thread id + 1) of every thread alive by the registry: the main thread's (1) and each
 * worker's whose entry says ALIVE and whose ancestors live. Undefined without a registry. Reads every entry:
 * only for a wait that has lasted a while (./deadlock.ts).
 */
export function liveOwners(): number[] | undefined {
  if (registry === undefined) return undefined;
  const owners = [1];
  for (let k = 0; k < SLOTS; k++) {
    const entry = Atomics.load(registry.entries, k);
    if (entry === 0n || Number(entry & 3n) !== ALIVE) continue;
    const owner = Number(entry >> 32n);
    if (owner > 1 && fateOf(owner) === ALIVE) owners.push(owner);
  }
  return owners;
}

/** Whether `owner` died (terminated, `process.exit()`, an uncaught error), or also ended if `ended`. */
export function isDead(owner: number, ended = true): boolean {
  const fate = fateOf(owner);
  return fate === DIED || (ended && fate === ENDED);
}

/** This thread's own workers that have not exited yet, with how many probes each may have used up. */
const children = new Map<number, { worker: import("node:worker_threads").Worker; probes: number }>();

/** Whether this thread has workers of its own still running (then its blocking waits `reap()` in slices). */
export function hasChildren(): boolean {
  return children.size !== 0;
}

/**
 * Records the death of every worker of this thread that was told to stop and whose isolate is gone, without
 * the event loop (see the top of this file). Called from the slices of blocking waits; costs nothing for a
 * thread without workers of its own.
 */
export function reap(): void {
  if (children.size === 0 || registry === undefined) return;
  const life = registry.life;
  for (const [id, child] of children) {
    if (ownFate(id) !== ALIVE) continue; // its own exit handler marked it
    let idle: number;
    try {
      idle = child.worker.performance.eventLoopUtilization().idle;
    } catch {
      continue; // a host without it: leave the death to the "exit" event
    }
    // -1: its stop was requested (or it is gone); a running worker is never probed, so keeps its waiters.
    if (idle !== -1 || child.probes >= LIFE_WAITERS - 1) continue;
    const slot = id % SLOTS;
    // Its id there: its waiters were pending before it stored it (seq-cst), so none pending now means gone.
    if (Atomics.load(life, slot) !== id + 1) continue;
    if (Atomics.notify(life, slot, 1) === 0) mark(id, threadId, DIED);
    else child.probes++;
  }
}

/** Keeps LIFE_WAITERS async waits pending on this worker's LIFE word, then names itself there. */
function arm(life: Int32Array): void {
  const slot = threadId % SLOTS;
  const rearm = (): void => {
    const r = waitAsync(life, slot, Atomics.load(life, slot));
    if (r.async)
      r.value.then(rearm); // woken by a probe: we live, wait again
    else rearm(); // the word changed between the load and the wait
  };
  for (let i = 0; i < LIFE_WAITERS; i++) rearm();
  Atomics.store(life, slot, threadId + 1);
}

/*
 * Wiring, once per thread that loads the tier. The listeners hold no ref on the event loop: observing a
 * worker never keeps the process alive.
 */
if (registry !== undefined && workerThreads !== undefined) {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const inherited = workerThreads.getEnvironmentData(PARENT_KEY);
  const parent = typeof inherited === "number" && !workerThreads.isMainThread ? inherited : -1;
  workerThreads.setEnvironmentData(PARENT_KEY, threadId);
  if (!workerThreads.isMainThread) {
    // The parent that loaded the tier has registered us already, with our parent; else do it ourselves.
    if (ownFate(threadId) === -1) mark(threadId, parent, ALIVE);
    const ranDry = proc === undefined ? () => false : watchEnd(proc);
    proc?.once("exit", (code) => mark(threadId, parent, code === 0 && ranDry() ? ENDED : DIED));
    arm(registry.life);
  }
  proc?.on("worker", (worker) => {
    const id = worker.threadId;
    mark(id, threadId, ALIVE);
    children.set(id, { worker, probes: 0 });
    worker.once("exit", (code: number) => {
      children.delete(id);
      // The worker's own mark (it knows how it ended) wins; without one, a 0 exit code counts as an end.
      if (code !== 0) mark(id, threadId, DIED);
      else if (ownFate(id) === ALIVE) mark(id, threadId, ENDED);
      else Atomics.add(registry.counter, DEATHS, 1);
    });
  });
}
