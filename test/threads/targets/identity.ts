/**
 * Reports what the worker sees of threads: its own Thread, the main thread, and a thread it starts itself
 * (so nested workers, the shared name counter and enumerate()'s scope are covered).
 */
import "./booted.ts";
import { threadId } from "node:worker_threads";
import {
  activeCount,
  currentThread,
  Event,
  enumerate,
  mainThread,
  type RuntimeError,
  Thread,
} from "../../../src/threads/index.ts";
import { put } from "./box.ts";

export default async function identity(out: Int32Array): Promise<void> {
  const me = currentThread();
  let joinSelf = "";
  try {
    await me.join({ timeout: 1000 });
  } catch (e) {
    joinSelf = `${(e as RuntimeError).name}: ${(e as RuntimeError).message}`;
  }
  const gate = new Event();
  const child = new Thread({
    target: new URL("./signals.ts", import.meta.url),
    export: "gatedAsync",
    args: [gate],
  });
  child.start();
  const whileChild = enumerate().map((t) => t.name);
  const countWhileChild = activeCount();
  gate.set();
  const joined = await child.join({ timeout: 20_000 });
  put(out, {
    name: me.name,
    ident: me.ident,
    threadId,
    daemon: me.daemon,
    alive: me.isAlive(),
    same: currentThread() === me,
    main: { name: mainThread().name, ident: mainThread().ident, alive: mainThread().isAlive() },
    joinSelf,
    child: { name: child.name, daemon: child.daemon, ident: child.ident, joined, alive: child.isAlive() },
    whileChild,
    countWhileChild,
    after: enumerate().map((t) => t.name),
  });
}
