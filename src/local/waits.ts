/**
 * Who waits for what, kept while deadlock detection is on (../internal/deadlock.ts has the switch): each
 * thread (a Thread, or the main thread: the root of the owner chain, ./owner.ts) records its last
 * wait, the queue and the waiter, on itself; whether that wait is still pending is read from the queue,
 * so nothing is cleared when it ends.
 *
 * The detector itself (./deadlock.ts) is loaded by a dynamic import at the first wait it must look at, so
 * a program (or a page, where detection is off) that never waits does not load it. Waits made while it
 * loads are handed to it once it has: its first check of a wait comes a second later anyway.
 */
import { DeadlockError } from "../api/errors.ts";
import { detection } from "../internal/deadlock.ts";
import { resourceOf } from "../internal/probe.ts";
import { currentOwner, MAIN, type Owner, threads as running } from "./owner.ts";
import type { Waiter, WaiterQueue } from "./waiter-queue.ts";

// biome-ignore lint/suspicious/noExplicitAny: queues of every item type
export type Q = WaiterQueue<any>;
// biome-ignore lint/suspicious/noExplicitAny: waiters of every item type
export type W = Waiter<any>;

/** A thread, for the detector: where it records its last wait. */
export interface Root extends Owner {
  deadlockWait?: W | undefined;
  deadlockQueue?: Q | undefined;
  /** When it was recorded, in waits: of a cycle's waits, the last one closed it. */
  deadlockSeq?: number;
  readonly name?: string;
  readonly daemon?: boolean;
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

/** The thread whose recorded wait is `w` (a Lock's next holder: its queue's head), if any. */
export function rootWaiting(w: W | null): Root | undefined {
  if (!running.started || (MAIN as Root).deadlockWait === w) return MAIN;
  for (const t of threads()) if ((t as Root).deadlockWait === w) return t as Root;
  return undefined;
}

/**
 * What the detector takes from the core, handed to it rather than imported: in a bundle split into
 * chunks, a module that both the page's code and the detector import would become a file of its own.
 */
export interface Host {
  readonly main: Root;
  readonly detection: { readonly on: boolean };
  readonly DeadlockError: typeof DeadlockError;
  rootOf(owner: Owner | null | undefined): Root;
  rootWaiting(w: W | null): Root | undefined;
  resourceOf: typeof resourceOf;
}

let waits = 0;
let detector: typeof import("./deadlock.ts") | undefined;
/**
 * While the detector loads: the queues waited on, each once (marked `listed` meanwhile), and the threads
 * that waited since a Thread started (each thread's last wait is on itself; MAIN's before that cannot
 * close a cycle). Not a list of every wait: a program that runs long before its event loop turns (the
 * import's) would otherwise keep every waiter it ever made; nor a set lookup per wait, which a Semaphore
 * hand-off paid until then (~500 instructions per hand-off, more than all the rest).
 */
let early: { queues: Q[]; roots: Set<Root> } | undefined;

/** Records that the current thread waits as `w` in `q`, and has the detector look at it. */
export function watched(q: Q, w: W): void {
  // Until a Thread starts, every wait is MAIN's (rootWaiting says so), and no wait can close a cycle, which
  // takes two threads: the check at exit, which finds the waits in their queues, is all there is to do, so
  // nothing is written on MAIN, and a queue already listed costs nothing more.
  let root: Root | undefined;
  if (running.started) {
    root = rootOf(currentOwner());
    root.deadlockWait = w;
    root.deadlockQueue = q;
    root.deadlockSeq = ++waits;
  } else if (q.listed) return;
  if (detector !== undefined) {
    if (root !== undefined) detector.watch(root, q, w);
    else detector.track(q);
    return;
  }
  if (early === undefined) {
    const seen = (early = { queues: [] as Q[], roots: new Set<Root>() });
    import("./deadlock.ts").then(
      (m) => {
        m.init({ main: MAIN, detection, DeadlockError, rootOf, rootWaiting, resourceOf });
        detector = m;
        for (const eq of seen.queues) {
          eq.listed = false;
          m.track(eq);
        }
        for (const r of seen.roots) m.watch(r, r.deadlockQueue!, r.deadlockWait!);
        early = undefined;
      },
      () => {
        // Cannot happen in a whole package; if it does, waits are not looked at (switching detection on
        // again tries the import again, without the queues kept meanwhile).
        detection.on = false;
        early = undefined;
      },
    );
  }
  if (!q.listed) {
    q.listed = true;
    early.queues.push(q);
  }
  if (root !== undefined) early.roots.add(root);
}

/**
 * A Thread printed `error` as its uncaught error: if it is one of the errors that one check at exit told
 * together (./deadlock.ts marks them with a batch), the report is out, and the others (another Thread's,
 * the main thread's, which Node prints when it ends the process) now print as a pointer to it, so that the
 * report is printed once. Their messages stay whole.
 */
export function reported(error: unknown, thread: string): void {
  const key = Symbol.for("threadkit.deadlock.batch");
  const batch = typeof error === "object" && error !== null ? (error as { [key]?: Error[] })[key] : undefined;
  if (batch === undefined) return;
  for (const e of batch) {
    delete (e as { [key]?: Error[] })[key];
    if (e !== error) e.stack = `DeadlockError: the deadlock reported above for thread ${thread}`;
  }
}
