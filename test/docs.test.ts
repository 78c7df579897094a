/**
 * The API documentation (`npm run docs`, typedoc): it builds without a single warning, it has one module per
 * entry of the package's `exports`, and every waiting method (one that takes `WaitOptions`) shows an
 * `@example` and says how it behaves when cancelled.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Text {
  text: string;
}
interface Comment {
  summary: Text[];
  blockTags?: { tag: string; content: Text[] }[];
}
interface Reflection {
  name: string;
  kind: number;
  children?: Reflection[];
  signatures?: { comment?: Comment; parameters?: { type?: { name?: string } }[] }[];
  inheritedFrom?: unknown;
}
const CLASS = 128;
const METHOD = 2048;

describe("the API documentation", () => {
  let dir = "";
  let modules: Reflection[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "threadkit-docs-"));
    // typedoc.json treats warnings as errors: a warning fails this build.
    execFileSync(
      process.execPath,
      [
        join(root, "node_modules", "typedoc", "bin", "typedoc"),
        "--out",
        join(dir, "html"),
        "--json",
        join(dir, "api.json"),
      ],
      { cwd: root, stdio: "pipe" },
    );
    modules = (JSON.parse(readFileSync(join(dir, "api.json"), "utf8")) as Reflection).children ?? [];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("has one module per entry of exports, named as users import it", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, string | { default: string }>;
    };
    const entries = Object.entries(pkg.exports)
      .filter(([, target]) => typeof target !== "string")
      .filter(([, target]) =>
        existsSync(
          join(root, (target as { default: string }).default.replace(/^\.\/dist\/(.*)\.js$/, "src/$1.ts")),
        ),
      )
      .map(([entry]) => `threadkit${entry.slice(1)}`);
    assert.deepEqual(modules.map((m) => m.name).sort(), entries.sort());
    assert.ok(existsSync(join(dir, "html", "index.html")));
  });

  it("shows an @example and the cancel safety of every waiting method", () => {
    const missing: string[] = [];
    let checked = 0;
    for (const mod of modules) {
      for (const cls of (mod.children ?? []).filter((c) => c.kind === CLASS)) {
        for (const method of (cls.children ?? []).filter((m) => m.kind === METHOD)) {
          const signature = method.signatures?.[0];
          if (!signature?.parameters?.some((p) => p.type?.name === "WaitOptions")) continue;
          checked++;
          const comment = signature.comment;
          const tags = comment?.blockTags ?? [];
          const words = [...(comment?.summary ?? []), ...tags.flatMap((t) => t.content)]
            .map((t) => t.text)
            .join("");
          const where = `${mod.name} ${cls.name}.${method.name}`;
          if (!tags.some((t) => t.tag === "@example")) missing.push(`${where}: no @example`);
          if (!/Cancel(-safe| safety)/.test(words)) missing.push(`${where}: no line on its cancel safety`);
        }
      }
    }
    assert.ok(checked > 50, `waiting methods found: ${checked}`);
    assert.deepEqual(missing, []);
  });
});
