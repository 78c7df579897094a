/**
 * Deadlock detection on one event loop (see ../internal/deadlock.ts for the switch and the report), loaded
 * by ./waits.ts at the first wait it must look at.
 *
 * What it keeps, only while detection is on, and only on waiting paths (an uncontended acquire keeps one
 * thing: a Lock's holder, see ./lock.ts): each thread's last wait (./waits.ts), and every queue that ever
 * had a waiter, listed (weakly) for the check at exit.
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
import { report, type WaitLine } from "../internal/report.ts";
import type { Owner } from "./owner.ts";
import type { Host, Q, Root, W } from "./waits.ts";

/** How long a cycle through a plain Lock must stand before its waiter is told (ms). */
export const GRACE = 1000;

/** A primitive that knows who holds it (Lock, RLock) or who will end the wait (a joined Thread). */
interface Holding {
  _holder(): Owner | null | undefined;
}

function nameOf(root: Root): string {
  return root === host.main ? "MainThread" : (root.name ?? "a task");
}

/** Whether `w` still waits in `q`, with no timeout and no signal: only a wake can end it. */
function forever(q: Q, w: W): boolean {
  const c = w.extra;
  return (
    (w.prev !== null || q.list.head === w) &&
    (c === undefined || (c.deadline === Number.POSITIVE_INFINITY && c.signal === undefined))
  );
}

let host: Host;
const queues: WeakRef<Q>[] = [];
let compactAt = 64;
let hooked = false;

/** Takes what it needs of the core (see `Host`); called once, before any `watch`. */
export function init(from: Host): void {
  host = from;
}

/** Lists `q` for the check at exit; checks for a cycle if `root`'s wait `w` is still there and forever. */
export function watch(root: Root, q: Q, w: W): void {
  track(q);
  if (forever(q, w)) cycleCheck(root, q, w, false);
}

/** Has the check at exit look at `q`'s waiters. */
export function track(q: Q): void {
  if (!q.listed) list(q);
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
  return q !== undefined && w !== undefined && forever(q, w) ? [q, w] : undefined;
}

/** Who holds what `q` is for, as a thread; undefined if nobody or unknown. */
function holderOf(q: Q): Root | undefined {
  const h = (q.about?.subject as Partial<Holding> | undefined)?._holder?.();
  return h === null || h === undefined ? undefined : host.rootOf(h);
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
    // Checked after the wait (the detector was loading): a later wait of the cycle closed it, not this one.
    if (cycle.some(([r]) => r.deadlockSeq! > root.deadlockSeq!)) return;
    const timer = setTimeout(() => {
      if (forever(q, w) && root.deadlockWait === w) cycleCheck(root, q, w, true);
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
  w.reject(new host.DeadlockError(message));
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
    resource: host.resourceOf(about.subject, about.kind),
    op: about.op,
    holder: holder === undefined ? undefined : nameOf(holder),
  };
}

/** The event loop is about to go idle: whoever still waits forever can never be woken. */
function atExit(): void {
  if (!host.detection.on) return;
  const stuck: [Root | undefined, Q, W][] = [];
  for (const ref of queues) {
    const q = ref.deref();
    if (q === undefined) continue;
    for (let w = q.list.head; w !== null; w = w.next)
      if (forever(q, w)) stuck.push([host.rootWaiting(w), q, w]);
  }
  const told = stuck.filter(([root]) => root?.daemon !== true);
  if (told.length === 0) return;
  const lines = stuck.map(([root, q]) => {
    const l = lineOf(root ?? host.main, q);
    return root === undefined ? { ...l, thread: "a task" } : l;
  });
  let cycle: [Root, Q][] | undefined;
  for (const [root, q] of stuck) if (root !== undefined && cycle === undefined) cycle = cycleOf(root, q);
  const message = report(
    `deadlock: ${stuck.length === 1 ? "a thread waits" : `${stuck.length} threads wait`} on threadkit primitives, and nothing is left that could wake ${stuck.length === 1 ? "it" : "them"} (no timer, I/O or other thread)`,
    lines,
    cycle?.map(([r, c]) => lineOf(r, c)),
  );
  const errors = told.map(() => new host.DeadlockError(message));
  // One report per deadlock: the errors told together share a batch, which ./waits.ts reads (by a
  // registered symbol: it does not import this module, loaded on demand) once a Thread printed one of them.
  for (const e of errors)
    Object.defineProperty(e, Symbol.for("threadkit.deadlock.batch"), { value: errors, configurable: true });
  told.forEach(([, q, w], i) => {
    q.unlink(w);
    w.reject(errors[i]);
  });
}
