/**
 * threadkit/threads as users get it: built to JavaScript with declarations, imported by name through the
 * `exports` map, type-checked by a strict consumer, and run by plain Node (no tsx) with a plain worker that
 * receives primitives as handles.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

const consumer = `
import { Worker } from "node:worker_threads";
import {
  BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, RuntimeError, Thread, fromHandle, toHandle,
  type Handle, type ThreadOptions, type api,
} from "threadkit/threads";
const lock: api.Lock = new Lock();
const plain = new Lock();
const handles: [Handle<"Lock">, Handle<"RLock">, Handle<"Semaphore">, Handle<"BoundedSemaphore">, Handle<"Event">, Handle<"Condition">] = [
  toHandle(plain), toHandle(new RLock()), toHandle(new Semaphore(2)), toHandle(new BoundedSemaphore(1)),
  toHandle(new Event()), toHandle(new Condition(plain)),
];
const same: Lock = fromHandle(handles[0]);
const counter = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { lock: handles[0], counter } });
for (let i = 0; i < 10_000; i++) {
  await same.acquire();
  counter[0] = (counter[0] as number) + 1;
  same.release();
}
await new Promise((resolve) => worker.once("exit", resolve));
let misuse = "";
try { new RLock().release(); } catch (e) { if (e instanceof RuntimeError) misuse = e.message; }
const ran = new Event();
const options: ThreadOptions = { target: new URL("./target.js", import.meta.url), export: "mark", args: [ran, { lock: plain }], name: "built" };
const thread = new Thread(options);
thread.start();
const joined = await thread.join({ timeout: 120_000 }); // only a hang: starts included
const threadSeen = { joined, ran: ran.isSet(), error: String(thread.error) };
console.log(JSON.stringify({ count: counter[0], locked: plain.locked() || (await lock.acquire()) !== true, misuse, thread: threadSeen }));
`;

const worker = `
import { workerData } from "node:worker_threads";
import { fromHandle } from "threadkit/threads";
const lock = fromHandle(workerData.lock);
for (let i = 0; i < 10000; i++) {
  lock.acquireSync();
  workerData.counter[0] = workerData.counter[0] + 1;
  lock.release();
}
`;

// A Thread's target module: the built worker entry (dist/threads/worker-entry.js) runs it, no tsx anywhere.
const target = `
import { currentThread } from "threadkit/threads";
export function mark(event, { lock }) {
  if (!lock.tryAcquire()) throw new Error("the lock should be free");
  lock.release();
  if (currentThread().name === "built") event.set();
}
`;

describe("the published threadkit/threads", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "threadkit-threads-package-"));
    const pkg = join(dir, "node_modules", "threadkit");
    mkdirSync(pkg, { recursive: true });
    execFileSync(process.execPath, [
      tsc,
      "-p",
      join(root, "tsconfig.build.json"),
      "--outDir",
      join(pkg, "dist"),
    ]);
    cpSync(join(root, "package.json"), join(pkg, "package.json"));
    symlinkSync(join(root, "node_modules", "@types"), join(dir, "node_modules", "@types"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "main.ts"), consumer);
    writeFileSync(join(dir, "worker.js"), worker);
    writeFileSync(join(dir, "target.js"), target);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("type-checks a strict consumer against the emitted declarations (handles typed by kind)", () => {
    const flags = [
      "--strict",
      "--module",
      "nodenext",
      "--target",
      "es2022",
      "--lib",
      "es2022,esnext.disposable",
    ];
    execFileSync(
      process.execPath,
      [tsc, ...flags, "--types", "node", "--outDir", dir, join(dir, "main.ts")],
      {
        cwd: dir,
      },
    );
  });

  it("runs in plain Node: a plain worker gets the lock through a handle and shares it exactly; a Thread runs from dist", () => {
    const out = execFileSync(process.execPath, [join(dir, "main.js")], { cwd: dir, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), {
      count: 20_000,
      locked: false,
      misuse: "cannot release un-acquired lock",
      thread: { joined: true, ran: true, error: "undefined" },
    });
  });
});
