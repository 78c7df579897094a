/**
 * Who owns an RLock on Redis: this process, and within it the innermost `run()` scope, as in the local tier
 * (whose Threads are out of reach here: tiers never import one another). Code outside any scope belongs to
 * the process itself, so plain `acquire()` calls from two tasks of one process re-enter, as two pieces of
 * code on one Python thread would; `rlock.run()` (or `task()`) opens a scope that excludes its siblings.
 * Scopes follow async code through AsyncLocalStorage.
 */
import { randomBytes } from "node:crypto";
import { contextSlot } from "../internal/runtime.ts";

interface Scope {
  readonly id: string;
  readonly parent: Scope | null;
}

const PROCESS = randomBytes(6).toString("hex");
const ROOT: Scope = { id: `${PROCESS}:0`, parent: null };
const slot = contextSlot<Scope>();
let seq = 0;

function current(): Scope {
  return slot.get() ?? ROOT;
}

/** The owner id of the code running now. */
export function ownerId(): string {
  return current().id;
}

/** The ids of the current scope and those around it, as the scripts read them: `,a,b,...,`. */
export function ownerChain(): string {
  let chain = ",";
  for (let s: Scope | null = current(); s !== null; s = s.parent) chain += `${s.id},`;
  return chain;
}

/** Runs `fn` (and everything it awaits) as a task of its own, nested in the current one. */
export function task<R>(fn: () => R): R {
  return slot.run({ id: `${PROCESS}:${++seq}`, parent: current() }, fn);
}
