/**
 * Who is running, for code that must not load the context slot (./context.ts) itself: a Lock, the
 * deadlock bookkeeping. ./context.ts, loaded with whatever can start a Thread or open an RLock scope,
 * tells how to ask; until it is loaded only the main thread can be running. (A bundle of a lone Lock
 * thus leaves the context slot out.)
 */

export interface Owner {
  readonly parent: Owner | null;
}

/** The main thread's root: code outside any Thread. */
export const MAIN: Owner = { parent: null };

let ask: () => Owner | undefined = () => undefined;

/**
 * Whether a Thread has started here. Until one has, whoever runs belongs to MAIN, so the deadlock
 * bookkeeping need not ask who runs (an AsyncLocalStorage lookup): an uncontended Lock keeps its holder
 * for free, a wait records itself on MAIN.
 */
export const threads = { started: false };

/** Called by ./thread.ts as a Thread starts. */
export function threadStarted(): void {
  threads.started = true;
}

/** How ./context.ts tells who is running. */
export function askOwner(how: () => Owner | undefined): void {
  ask = how;
}

/** The innermost owner running now: an RLock scope, a Thread, or MAIN. */
export function currentOwner(): Owner {
  return ask() ?? MAIN;
}
