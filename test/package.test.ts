/**
 * The package as users get it: `npm pack` (which builds it), the tarball installed into a fresh project,
 * every `exports` entry imported by name in plain Node (no tsx), from ESM and from CommonJS, the
 * declarations type-checked by a strict consumer, and the files a user's tools follow (source maps,
 * declaration maps) present in the tarball.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The entries the package publishes: each must be in `exports` and resolve. An entry of `exports` that is
 * not here yet is still imported when its files exist, and tolerated only while it is listed in `pending`.
 */
const published: Record<string, string[]> = {
  ".": ["Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier", "Queue", "Thread"],
  "./threads": ["Lock", "Queue", "Thread", "toHandle", "fromHandle"],
  "./redis": ["Lock", "Semaphore", "Condition", "Barrier", "Queue", "setDefaultClient"],
};
/** Entries declared in `exports` whose build is not part of the package yet. */
const pending = new Set<string>();

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

type Target = string | { [condition: string]: Target };

/** Every file path a conditional `exports` target names. */
function targets(target: Target): string[] {
  return typeof target === "string" ? [target] : Object.values(target).flatMap(targets);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("the published package", () => {
  let dir = "";
  let app = "";
  let pkg = "";
  let packed: string[] = [];
  let exportsMap: Record<string, Target> = {};

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "threadkit-package-"));
    // A copy of what `npm pack` reads, so packing (and the build it runs) leaves this checkout alone.
    const source = join(dir, "source");
    mkdirSync(source);
    for (const f of ["package.json", "README.md", "LICENSE", "tsconfig.json", "tsconfig.build.json", "src"]) {
      cpSync(join(root, f), join(source, f), { recursive: true });
    }
    symlinkSync(join(root, "node_modules"), join(source, "node_modules"));
    const out = execFileSync(npm, ["pack", "--json", "--pack-destination", dir], {
      cwd: source,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const [info] = JSON.parse(out.slice(out.indexOf("["))) as [
      { filename: string; files: { path: string }[] },
    ];
    packed = info.files.map((f) => f.path);
    app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    execFileSync(
      npm,
      ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", join(dir, info.filename)],
      { cwd: app, stdio: "ignore" },
    );
    pkg = join(app, "node_modules", "threadkit");
    symlinkSync(join(root, "node_modules", "@types"), join(app, "node_modules", "@types"));
    writeFileSync(join(app, "main.ts"), consumer);
    exportsMap = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).exports;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("ships the license, the readme, the build and the sources the maps name", () => {
    for (const f of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]) {
      assert.ok(packed.includes(f), `${f} is in the tarball`);
    }
    const license = readFileSync(join(pkg, "LICENSE"), "utf8");
    assert.match(license, /^MIT License/);
    assert.match(license, /Copyright \(c\) \d{4} threadkit contributors/);
    assert.equal(JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).license, "MIT");
    assert.ok(!packed.some((f) => f.startsWith("test/") || f.startsWith("node_modules/")));
  });

  it("has source maps and declaration maps whose every source is in the tarball", () => {
    const maps = walk(join(pkg, "dist")).filter((f) => f.endsWith(".map"));
    assert.ok(maps.some((f) => f.endsWith(".js.map")));
    assert.ok(maps.some((f) => f.endsWith(".d.ts.map")));
    for (const map of maps) {
      const { sources, sourceRoot = "" } = JSON.parse(readFileSync(map, "utf8")) as {
        sources: string[];
        sourceRoot?: string;
      };
      assert.ok(sources.length > 0, `${map} names its sources`);
      for (const s of sources) {
        const file = resolve(dirname(map), sourceRoot, s);
        assert.ok(existsSync(file), `${relative(pkg, map)}: source ${s} resolves`);
      }
    }
  });

  it("lists every published entry in exports, and every exports entry resolves (or is pending)", () => {
    for (const entry of Object.keys(published)) assert.ok(entry in exportsMap, `exports has ${entry}`);
    for (const [entry, target] of Object.entries(exportsMap)) {
      const missing = targets(target).filter((t) => !existsSync(join(pkg, t)));
      if (missing.length > 0 && pending.has(entry)) continue;
      assert.deepEqual(missing, [], `exports["${entry}"] names files that are in the tarball`);
    }
  });

  it("imports every entry that resolves, by name, in plain Node from ESM", () => {
    const entries = Object.keys(exportsMap).filter(
      (e) => e !== "./package.json" && targets(exportsMap[e]!).every((t) => existsSync(join(pkg, t))),
    );
    for (const e of Object.keys(published)) assert.ok(entries.includes(e), `${e} resolves`);
    const specifiers = entries.map((e) => `threadkit${e.slice(1)}`);
    const script = `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)); console.log(JSON.stringify(out));`;
    writeFileSync(join(app, "imports.mjs"), script);
    const names = JSON.parse(execFileSync(process.execPath, ["imports.mjs"], { cwd: app, encoding: "utf8" }));
    for (const [entry, expected] of Object.entries(published)) {
      const got = names[`threadkit${entry.slice(1)}`] as string[];
      for (const name of expected)
        assert.ok(got.includes(name), `threadkit${entry.slice(1)} exports ${name}`);
    }
  });

  it("loads from CommonJS through require(esm) where Node has it (20.19+, 22.12+), as the README says", () => {
    const script = `const { Lock } = require("threadkit"); const t = require("threadkit/threads");
const l = new Lock(); l.tryAcquire(); console.log(JSON.stringify({ locked: l.locked(), thread: typeof t.Thread }));`;
    writeFileSync(join(app, "main.cjs"), script);
    const requireModule = (process.features as { require_module?: boolean }).require_module === true;
    if (requireModule) {
      const out = execFileSync(process.execPath, ["main.cjs"], { cwd: app, encoding: "utf8" });
      assert.deepEqual(JSON.parse(out), { locked: true, thread: "function" });
    } else {
      assert.throws(
        () => execFileSync(process.execPath, ["main.cjs"], { cwd: app, stdio: "pipe" }),
        /ERR_REQUIRE_ESM/,
      );
    }
    const readme = readFileSync(join(pkg, "README.md"), "utf8");
    assert.ok(
      /require\("threadkit"\)[\s\S]*20\.19\+/.test(readme),
      "the README says which Node can require it",
    );
  });

  it("refuses at start() a TypeScript target that nothing in the process can load on a worker", () => {
    writeFileSync(
      join(app, "body.ts"),
      "export default function body(n: number): void { console.log(n + 1); }\n",
    );
    const script = `import { Thread } from "threadkit/threads";
const t = new Thread({ target: new URL("./body.ts", import.meta.url), args: [41] });
try { t.start(); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, alive: t.isAlive() })); process.exit(0); }
await t.join();
console.log(JSON.stringify({ error: String(t.error) }));`;
    writeFileSync(join(app, "ts-target.mjs"), script);
    const out = execFileSync(process.execPath, ["ts-target.mjs"], { cwd: app, encoding: "utf8" });
    const [first, last] = [out.split("\n")[0]!, out.trim().split("\n").at(-1)!];
    if ((process.features as { typescript?: string | false }).typescript) {
      // A Node that strips types runs it.
      assert.equal(first, "42");
      assert.deepEqual(JSON.parse(last), { error: "undefined" });
    } else {
      const seen = JSON.parse(first) as { name: string; message: string; alive: boolean };
      assert.equal(seen.name, "RuntimeError");
      assert.equal(seen.alive, false);
      assert.match(seen.message, /^cannot run the TypeScript module file:.*\/body\.ts on a worker/);
      assert.match(seen.message, /tsx/);
      assert.match(seen.message, /compiled \.js/);
    }
  });

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
      [tsc, ...flags, "--types", "node", "--outDir", app, join(app, "main.ts")],
      { cwd: app },
    );
  });

  it("tells a deadlock with the detector the build loads on demand (a chunk of its own in a bundle)", () => {
    const script = `import { Lock, Thread } from "threadkit";
const a = new Lock(), b = new Lock();
const take = async (x, y) => { await x.acquire(); await new Promise((r) => setTimeout(r, 20)); await y.acquire(); };
const left = new Thread({ name: "left", target: () => take(a, b) });
const right = new Thread({ name: "right", target: () => take(b, a) });
left.start(); right.start();
setTimeout(() => {}, 5000); // the cycle is told a second after it closed, while this keeps the process up
const once = new Lock();
await once.acquire();
await once.acquire();`;
    writeFileSync(join(app, "deadlock.mjs"), script);
    let failed: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ["deadlock.mjs"], { cwd: app, stdio: "pipe", timeout: 60_000 });
    } catch (error) {
      failed = {
        status: (error as { status: number }).status,
        stderr: String((error as { stderr: unknown }).stderr),
      };
    }
    assert.ok(failed !== undefined, "the deadlocked program fails");
    assert.equal(failed.status, 1, failed.stderr);
    // The cycle, told a second after it closed; then, with nothing left to wake them, the waiters left.
    assert.match(
      failed.stderr,
      /Exception in thread right:\nDeadlockError: deadlock: 2 threads wait for each other/,
    );
    assert.match(failed.stderr, /"MainThread" waits to acquire lock L\d+, held by "MainThread"/);
  });

  it("gives bundlers that target browsers the browser build (no tracing, no deadlock detection), others all", async () => {
    const { build } = await import("esbuild");
    const code = `import { Lock, setDeadlockDetection } from "threadkit";
const lock = new Lock();
await lock.acquire();
const second = lock.acquire();
lock.release();
let refused = "";
try { setDeadlockDetection(true); } catch (e) { refused = e.name; }
console.log(JSON.stringify({ handed: await second, refused }));`;
    writeFileSync(join(app, "page.mjs"), code);
    const bundled = async (platform: "browser" | "node") => {
      const result = await build({
        entryPoints: [join(app, "page.mjs")],
        absWorkingDir: app,
        outdir: join(app, `bundle-${platform}`),
        bundle: true,
        splitting: true,
        format: "esm",
        platform,
        target: "es2022",
        metafile: true,
        logLevel: "silent",
      });
      const inputs = Object.keys(result.metafile.inputs).map((i) =>
        i.replace(/^node_modules\/threadkit\//, ""),
      );
      return { inputs, chunks: Object.keys(result.metafile.outputs).length };
    };
    const browser = await bundled("browser");
    for (const f of [
      "dist/internal/probe-off.js",
      "dist/internal/deadlock-off.js",
      "dist/local/waits-off.js",
    ])
      assert.ok(browser.inputs.includes(f), `the browser bundle has ${f}`);
    for (const f of ["dist/internal/probe.js", "dist/internal/channels.js", "dist/local/deadlock.js"])
      assert.ok(!browser.inputs.includes(f), `the browser bundle leaves out ${f}`);
    assert.equal(browser.chunks, 1, "nothing to load on demand");
    const node = await bundled("node");
    assert.ok(
      node.inputs.includes("dist/internal/probe.js") && node.inputs.includes("dist/local/deadlock.js"),
    );
    assert.ok(!node.inputs.some((i) => i.includes("-off.")), "the Node bundle has the full build");
    const out = execFileSync(process.execPath, [join(app, "bundle-browser", "page.js")], {
      encoding: "utf8",
    });
    assert.deepEqual(JSON.parse(out), { handed: true, refused: "RuntimeError" });
  });

  it("runs in plain Node, imported by name", () => {
    const out = execFileSync(process.execPath, [join(app, "main.js")], { cwd: app, encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), { got: 7, seen: "worker", locked: false });
  });
});
