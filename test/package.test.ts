/**
 * The package as users get it: built to JavaScript with declarations, imported by name through the
 * `exports` map, type-checked by a strict consumer, and run by plain Node without tsx.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

const consumer = `
import { Lock, Queue, Thread, QueueEmpty, currentThread, type WaitOptions, type api } from "threadkit";
// Typed as the interface every tier implements: its guard may need \`await using\`.
const lock: api.Lock = new Lock();
// The local class: its guard's release is synchronous, so \`using\` type-checks too.
const mine = new Lock();
const opts: WaitOptions = { timeout: 10 };
const q = new Queue<number>(2);
let seen = "";
const t = new Thread({ name: "worker", target: async (n: number) => {
  await using _held = await lock.hold(opts);
  { using _mine = await mine.hold(); }
  await q.put(n);
  seen = currentThread().name;
}, args: [7] });
t.start();
await t.join();
const got = await q.get();
try { await q.get({ timeout: 0 }); } catch (e) { if (!(e instanceof QueueEmpty)) throw e; }
console.log(JSON.stringify({ got, seen, locked: (await lock.locked()) || mine.locked() }));
`;

describe("the published package", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "threadkit-package-"));
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
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("type-checks a strict consumer against the emitted declarations", () => {
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

  it("runs in plain Node, imported by name", () => {
    const out = execFileSync(process.execPath, [join(dir, "main.js")], { cwd: dir, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), { got: 7, seen: "worker", locked: false });
  });
});
