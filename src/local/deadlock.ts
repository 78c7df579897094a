/**
 * Deadlock detection on one event loop (see ../internal/deadlock.ts for the switch and the report).
 *
 * What it keeps, only while detection is on, and only on waiting paths (an uncontended acquire keeps one
 * thing: a Lock's holder, see ./lock.ts):
 * - each thread (a Thread, or the main thread: the root of the context chain, ./context.ts) records its
 *   last wait, the queue and the waiter, on itself; whether that wait is still pending is read from the
 *   queue, so nothing is cleared when it ends;
 * - every queue that ever had a waiter is listed (weakly), for the check at exit.
 *
 * Two checks:
 * - At a wait that has no timeout and no signal, the waits-for graph is walked from the waiter: the
 *   primitive it waits for -> its holder (Lock, RLock, a joined Thread) -> what that holder waits for...
 *   Back at the waiter is a cycle. It is confirmed GRACE ms later (the waiter still waiting, the cycle
 *   still standing), then the waiter that closed it, and only it, is rejected with DeadlockError: the
 *   others keep waiting, and the told one's code may let go of what it holds (a `run()` or `hold()` does)
 *   so that they can go on. Why wait: a plain Lock may be released by any task, and the detector follows
 *   threads, not the tasks within one (two tasks of one Thread, or its RLock `run()` scopes, count as
 *   that Thread, which records its last wait only). A task waiting for a Lock that it holds itself is
 *   left to the check at exit, as another task may release it.
 * - When the event loop is about to go idle (Node's 'beforeExit': no timer, I/O or other handle is left),
 *   every waiter left without a timeout or a signal can never be woken. If one of them belongs to a thread
 *   that is not a daemon, each such waiter is rejected with DeadlockError naming them all (a daemon
 *   thread's waiter is named but left waiting, as Python leaves daemon threads at exit). Uncaught, the
 *   error ends the process with code 1 and the report, instead of Node's silent exit with code 13.
 */
import { DeadlockError } from "../api/errors.ts";
import { detection, report, type WaitLine } from "../internal/deadlock.ts";
import { resourceOf } from "../internal/probe.ts";
import { context, MAIN, type Owner } from "./context.ts";
import type { Waiter, WaiterQueue } from "./waiter-queue.ts";

// biome-ignore lint/suspicious/noExplicitAny: queues of every item type
type Q = WaiterQueue<any>;
// biome-ignore lint/suspicious/noExplicitAny: waiters of every item type
type W = Waiter<any>;

/** How long a cycle through a plain Lock must stand before its waiter is told (ms). */
export const GRACE = 1000;

/** A thread, for the detector: where it records its last wait. */
interface Root extends Owner {
  deadlockWait?: W | undefined;
  deadlockQueue?: Q | undefined;
  readonly name?: string;
  readonly daemon?: boolean;
}

/** A primitive that knows who holds it (Lock, RLock) or who will end the wait (a joined Thread). */
interface Holding {
  _holder(): Owner | null | undefined;
}

let threads: () => Iterable<Owner> = () => [];

/** How ./thread.ts lists the Threads alive (without this module importing it). */
export function threadsAlive(list: () => Iterable<Owner>): void {
  threads = list;
}

/** The thread that `owner` (a scope, a Thread, undefined for the main thread) belongs to. */
export function rootOf(owner: Owner | null | undefined): Root {
  let o: Owner = owner ?? MAIN;
  while (o.parent !== null) o = o.parent;
  return o as Root;
}

function nameOf(root: Root): string {
  return root === MAIN ? "MainThread" : (root.name ?? "a task");
}

const queues: WeakRef<Q>[] = [];
let compactAt = 64;
let hooked = false;

/** Records that the current thread waits as `w` in `q`; checks for a cycle if the wait is forever. */
export function watched(q: Q, w: W): void {
  if (!q.listed) list(q);
  const root = rootOf(context.get());
  root.deadlockWait = w;
  root.deadlockQueue = q;
  if (q.forever(w)) cycleCheck(root, q, w, false);
}

function list(q: Q): void {
  q.listed = true;
  queues.push(new WeakRef(q));
  if (queues.length >= compactAt) {
    let n = 0;
    for (const ref of queues) if (ref.deref() !== undefined) queues[n++] = ref;
    queues.length = n;
    compactAt = Math.max(64, 2 * n);
  }
  if (!hooked) {
    hooked = true;
    (globalThis as { process?: { on?(e: string, f: () => void): void } }).process?.on?.("beforeExit", atExit);
  }
}

/** The pending, forever wait of `root`, if it has one. */
function waitOf(root: Root): [Q, W] | undefined {
  const q = root.deadlockQueue;
  const w = root.deadlockWait;
  return q !== undefined && w !== undefined && q.pending(w) && q.forever(w) ? [q, w] : undefined;
}

/** Who holds what `q` is for, as a thread; undefined if nobody or unknown. */
function holderOf(q: Q): Root | undefined {
  const h = (q.about?.subject as Partial<Holding> | undefined)?._holder?.();
  return h === null || h === undefined ? undefined : rootOf(h);
}

/** The thread whose recorded wait is `w`, if any. */
function rootWaiting(w: W): Root | undefined {
  if ((MAIN as Root).deadlockWait === w) return MAIN;
  for (const t of threads()) if ((t as Root).deadlockWait === w) return t as Root;
  return undefined;
}

/** The thread the longest waiter of `q` belongs to (a Lock's next holder), if known. */
export function headRoot(q: Q): Owner | undefined {
  const w = q.head();
  return w === undefined ? undefined : rootWaiting(w);
}

/** The cycle of waits that `root` (waiting as `w` in `q`) closes, one [thread, queue] per step. */
function cycleOf(root: Root, q: Q): [Root, Q][] | undefined {
  const steps: [Root, Q][] = [[root, q]];
  let at = q;
  for (;;) {
    const holder = holderOf(at);
    if (holder === undefined) return undefined;
    if (holder === root) return steps;
    if (steps.some(([r]) => r === holder)) return undefined; // a cycle that this wait does not close
    const next = waitOf(holder);
    if (next === undefined) return undefined;
    steps.push([holder, next[0]]);
    at = next[0];
  }
}

function cycleCheck(root: Root, q: Q, w: W, confirming: boolean): void {
  const cycle = cycleOf(root, q);
  if (cycle === undefined) return;
  if (!confirming) {
    if (cycle.length === 1) return; // a Lock its own holder waits for: another task may release it
    const timer = setTimeout(() => {
      if (q.pending(w) && root.deadlockWait === w) cycleCheck(root, q, w, true);
    }, GRACE);
    (timer as { unref?(): void }).unref?.();
    return;
  }
  const lines = cycle.map(([r, c]) => lineOf(r, c));
  const message = report(
    `deadlock: ${cycle.length} threads wait for each other in a cycle; "${nameOf(root)}", which closed it, is told`,
    lines,
    lines,
  );
  q.unlink(w);
  w.reject(new DeadlockError(message));
}

function lineOf(root: Root, q: Q): WaitLine {
  const about = q.about;
  const holder = holderOf(q);
  const thread = nameOf(root);
  const daemon = root.daemon === true;
  if (about === undefined) return { thread, daemon, resource: undefined, op: "for" };
  if (about.kind === "thread") {
    const what = `thread "${(about.subject as Root).name}"`;
    return { thread, daemon, resource: undefined, op: about.op, what };
  }
  return {
    thread,
    daemon,
    resource: resourceOf(about.subject, about.kind),
    op: about.op,
    holder: holder === undefined ? undefined : nameOf(holder),
  };
}

/** The event loop is about to go idle: whoever still waits forever can never be woken. */
function atExit(): void {
  if (!detection.on) return;
  const stuck: [Root | undefined, Q, W][] = [];
  for (const ref of queues) {
    const q = ref.deref();
    if (q === undefined) continue;
    for (const w of q.waiting()) if (q.forever(w)) stuck.push([rootWaiting(w), q, w]);
  }
  const told = stuck.filter(([root]) => root?.daemon !== true);
  if (told.length === 0) return;
  const lines = stuck.map(([root, q]) => {
    const l = lineOf(root ?? MAIN, q);
    return root === undefined ? { ...l, thread: "a task" } : l;
  });
  let cycle: [Root, Q][] | undefined;
  for (const [root, q] of stuck) if (root !== undefined && cycle === undefined) cycle = cycleOf(root, q);
  const message = report(
    `deadlock: ${stuck.length === 1 ? "a thread waits" : `${stuck.length} threads wait`} on threadkit primitives, and nothing is left that could wake ${stuck.length === 1 ? "it" : "them"} (no timer, I/O or other thread)`,
    lines,
    cycle?.map(([r, c]) => lineOf(r, c)),
  );
  const errors = told.map(() => new DeadlockError(message));
  for (const e of errors) batches.set(e, errors);
  told.forEach(([, q, w], i) => {
    q.unlink(w);
    w.reject(errors[i]);
  });
}

/** The errors that one check at exit told, each to its batch, until one of them is printed. */
const batches = new WeakMap<object, DeadlockError[]>();

/**
 * A Thread printed `error` as its uncaught error (./thread.ts): if it is one of a batch told at exit, the
 * report is out, and the others (another Thread's, the main thread's, which Node prints when it ends the
 * process) now print as a pointer to it, so that the report is printed once. Their messages stay whole.
 */
export function reported(error: unknown, thread: string): void {
  const batch = typeof error === "object" && error !== null ? batches.get(error) : undefined;
  if (batch === undefined) return;
  for (const e of batch) {
    batches.delete(e);
    if (e !== error) e.stack = `DeadlockError: the deadlock reported above for thread ${thread}`;
  }
}
