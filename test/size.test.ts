/**
 * What the local tier costs a browser page: `threadkit` bundled by esbuild for a browser, minified and
 * gzipped (level 9), whole and as a lone tree-shaken `Lock`. The bundle is split into chunks (esbuild's
 * `splitting`), as a page loads it: what is measured is what the page loads up front, the entry chunk and
 * the chunks it imports statically, each gzipped on its own; dynamically imported chunks are printed apart.
 *
 * `platform: "browser"` is what selects the browser build, as every bundler that targets browsers does
 * (package.json's "browser" field: no tracing, no deadlock detection); it is the only option here chosen
 * for what it selects. The same bundle for Node (`platform: "node"`: the full build, with the detector as a
 * chunk loaded at the first wait it looks at) is printed for information, not held.
 *
 * The limits are the browser sizes reached, rounded up to the next 10 B (Node 20.20's zlib), so that any
 * growth is seen: a change that needs more raises them here and says why in its commit.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const entry = JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)));
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

interface Size {
  /** Up front: the entry chunk and what it imports statically, gzipped (each on its own) and minified. */
  gzip: number;
  minified: number;
  /** The chunks imported dynamically, gzipped. */
  lazy: number[];
}

/** The size of a split bundle of `code`, which imports from the local tier. */
async function bundled(code: string, platform: "browser" | "node" = "browser"): Promise<Size> {
  const dir = await mkdtemp(join(tmpdir(), "threadkit-size-"));
  dirs.push(dir);
  const file = join(dir, "page.ts");
  await writeFile(file, code);
  const result = await build({
    entryPoints: [file],
    outdir: join(dir, "out"),
    splitting: true,
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const bytes = new Map(result.outputFiles.map((f) => [f.path, f.contents]));
  const contents = (out: string): Uint8Array => bytes.get(join(process.cwd(), out)) ?? bytes.get(out)!;
  const upFront = new Set<string>();
  // A dynamically imported chunk is an entry point of esbuild's too: the page's is the one of `file`.
  const todo = Object.keys(outputs).filter((out) => outputs[out]!.entryPoint?.endsWith("page.ts"));
  assert.equal(todo.length, 1);
  for (let out = todo.pop(); out !== undefined; out = todo.pop()) {
    if (upFront.has(out)) continue;
    upFront.add(out);
    for (const i of outputs[out]!.imports) if (i.kind === "import-statement") todo.push(i.path);
  }
  const size: Size = { gzip: 0, minified: 0, lazy: [] };
  for (const out of Object.keys(outputs)) {
    const gzip = gzipSync(contents(out), { level: 9 }).length;
    if (!upFront.has(out)) size.lazy.push(gzip);
    else {
      size.gzip += gzip;
      size.minified += contents(out).length;
    }
  }
  return size;
}

const LIMITS = { all: 7_640, lock: 2_340 };

const show = (s: Size): string =>
  `${s.gzip} B gzipped, ${s.minified} B minified${s.lazy.length > 0 ? `; lazy: ${s.lazy.join(", ")} B` : ""}`;

describe("bundle size of the local tier", () => {
  it(`the whole tier, for a browser, minified and gzipped, loads at most ${LIMITS.all} bytes up front`, async (t) => {
    const [browser, node] = await Promise.all([
      bundled(`export * from ${entry};`),
      bundled(`export * from ${entry};`, "node"),
    ]);
    t.diagnostic(`threadkit: browser ${show(browser)}; node ${show(node)}`);
    assert.deepEqual(browser.lazy, [], "the browser build has no detector to load");
    assert.equal(node.lazy.length, 1, "the Node build loads the detector on demand");
    assert.ok(browser.gzip <= LIMITS.all, `${browser.gzip} B > ${LIMITS.all} B`);
  });

  it(`a lone Lock, for a browser, tree-shaken, minified and gzipped, loads at most ${LIMITS.lock} bytes up front`, async (t) => {
    const [browser, node] = await Promise.all([
      bundled(`export { Lock } from ${entry};`),
      bundled(`export { Lock } from ${entry};`, "node"),
    ]);
    t.diagnostic(`{ Lock }: browser ${show(browser)}; node ${show(node)}`);
    assert.ok(browser.gzip <= LIMITS.lock, `${browser.gzip} B > ${LIMITS.lock} B`);
  });
});
