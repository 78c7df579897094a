/**
 * What the local tier costs a browser bundle: `threadkit` bundled by esbuild, minified and gzipped (level
 * 9), whole and as a lone tree-shaken `Lock`. The limits are the sizes reached (8,648 B and 3,598 B on
 * Node 20.20's zlib, rounded up to the next 10 B), so that any growth is seen: a change that needs more
 * raises them here and says why in its commit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)));

/** Bytes gzipped (and minified) of a bundle of `code`, which imports from the local tier. */
async function bundled(code: string): Promise<{ gzip: number; minified: number }> {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const out = result.outputFiles[0]!.contents;
  return { gzip: gzipSync(out, { level: 9 }).length, minified: out.length };
}

const LIMITS = { all: 10_100, lock: 5_330 };

describe("bundle size of the local tier", () => {
  it(`the whole tier, minified and gzipped, stays within ${LIMITS.all} bytes`, async (t) => {
    const size = await bundled(`export * from ${entry};`);
    t.diagnostic(`threadkit: ${size.gzip} B gzipped, ${size.minified} B minified`);
    assert.ok(size.gzip <= LIMITS.all, `${size.gzip} B > ${LIMITS.all} B`);
  });

  it(`a lone Lock, tree-shaken, minified and gzipped, stays within ${LIMITS.lock} bytes`, async (t) => {
    const size = await bundled(`export { Lock } from ${entry};`);
    t.diagnostic(`{ Lock }: ${size.gzip} B gzipped, ${size.minified} B minified`);
    assert.ok(size.gzip <= LIMITS.lock, `${size.gzip} B > ${LIMITS.lock} B`);
  });
});
