/** How a deadlock report reads, in both tiers (see ./deadlock.ts). */
import type { ResourceRef } from "./channels.ts";

/** What one waiter waits for, for a report. */
export interface WaitLine {
  /** The waiting thread's name. */
  readonly thread: string;
  /** What it waits for: the primitive (a joined thread is described by `what` alone). */
  readonly resource: ResourceRef | undefined;
  /** How the line reads before the primitive: "to acquire", "for a notify of", "to get from"... */
  readonly op: string;
  /** Whether the thread is a daemon (named in a report, never told). */
  readonly daemon?: boolean | undefined;
  /** Who holds the resource, where the primitive knows its holder. */
  readonly holder?: string | undefined;
  /** A description of its own, for what is not a primitive (a thread's join). */
  readonly what?: string | undefined;
}

/** How a primitive reads in a report: `lock "accounts" (L3)`, or `lock L3` without a name. */
export function describe(r: ResourceRef | undefined, what?: string): string {
  if (what !== undefined) return what;
  if (r === undefined) return "a primitive";
  return r.name === undefined ? `${r.kind} ${r.id}` : `${r.kind} "${r.name}" (${r.id})`;
}

function line(w: WaitLine): string {
  const held = w.holder === undefined ? "" : `, held by "${w.holder}"`;
  return `  "${w.thread}"${w.daemon ? " (daemon)" : ""} waits ${w.op} ${describe(w.resource, w.what)}${held}`;
}

/**
 * The message of a DeadlockError: a headline, the cycle if there is one (`a -> b -> a`, each arrow naming
 * what the left one waits for and the right one holds), then one line per waiting thread.
 */
export function report(headline: string, waits: readonly WaitLine[], cycle?: readonly WaitLine[]): string {
  const lines = [headline];
  if (cycle !== undefined && cycle.length > 0) {
    const steps = cycle.map((w) => `"${w.thread}" -[${describe(w.resource, w.what)}]-> `).join("");
    lines.push(`cycle: ${steps}"${cycle[0]!.thread}"`);
  }
  lines.push(...waits.map(line));
  return lines.join("\n");
}
