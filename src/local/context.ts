/**
 * Who is running: the chain of RLock scopes and the Thread the current code belongs to, carried across
 * every await by the runtime's context slot. RLock ownership and currentThread() read it.
 *
 * A Thread is the root of its chain; code outside any Thread has no context and belongs to MAIN. Each
 * `rlock.run()` opens a Scope nested in the current owner, so ownership held by any enclosing scope or the
 * thread covers the code inside it (re-entry), while sibling scopes exclude each other.
 */
import { contextSlot } from "../internal/runtime.ts";
import { askOwner, currentOwner, MAIN, type Owner } from "./owner.ts";

export { currentOwner, MAIN, type Owner };

export const context = contextSlot<Owner>();
askOwner(() => context.get());

/** Whether `owner` is `who` or one of the scopes or the thread around it. */
export function covers(owner: Owner, who: Owner): boolean {
  for (let o: Owner | null = who; o !== null; o = o.parent) if (o === owner) return true;
  return false;
}

/** Runs `fn` in a new scope nested in the current owner. */
export function inNewScope<R>(fn: () => R): R {
  return context.run({ parent: currentOwner() }, fn);
}
