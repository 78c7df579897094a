/**
 * Reports what a worker sees of a sibling thread (named `sibling`) that the main thread started: whether
 * enumerate() lists it, alive, and whether join() here waits for it to finish once this worker opens its gate.
 */
import "./booted.ts";
import { activeCount, type Event, enumerate } from "../../../src/threads/index.ts";
import { put } from "./box.ts";

export default async function census(out: Int32Array, gate: Event): Promise<void> {
  const seen = enumerate();
  const sibling = seen.find((t) => t.name === "sibling");
  const before = { names: seen.map((t) => t.name), count: activeCount(), alive: sibling?.isAlive() };
  const early = await sibling?.join({ timeout: 50 }); // still gated: times out
  gate.set(); // lets the sibling finish
  const joined = await sibling?.join({ timeout: 20_000 });
  put(out, {
    before,
    sibling: sibling && { ident: sibling.ident, daemon: sibling.daemon, name: sibling.name },
    early,
    joined,
    joinedSync: sibling?.joinSync({ timeout: 0 }),
    aliveAfter: sibling?.isAlive(),
    after: enumerate().map((t) => t.name),
    same: enumerate().every((t, i, all) => all.indexOf(t) === i),
  });
}
