/**
 * The browser part of the matrix: Debian's Chromium, headless, driven by playwright-core (which downloads
 * nothing: it is given the binary). The suites are bundled by esbuild with node:test and node:assert/strict
 * swapped for the small browser versions in ./browser/, and served on 127.0.0.1 with the two headers that
 * make a page cross-origin isolated (SharedArrayBuffer needs them), or, under /plain/, without them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Results } from "./browser/harness.ts";
import type { Result } from "./run.ts";
import { findRuntime } from "./runtimes.ts";

const here = fileURLToPath(new URL("./browser/", import.meta.url));

/** How Chromium is launched, headless (also by the timeline test, ../trace/timeline.test.ts). */
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The pages: each an entry of ./browser/ and what it proves. */
const PAGES = [
  { entry: "local.page.ts", what: "local tier, main thread" },
  { entry: "threads.page.ts", what: "threads tier, main thread and Web Workers" },
  { entry: "threads-plain.page.ts", what: "threads tier on a page not isolated", plain: true },
];

async function bundle(out: string): Promise<void> {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [
      ...PAGES.map((p) => join(here, p.entry)),
      ...["threads-agent.worker.ts", "thread-target.ts"].map((file) => join(here, file)),
      // A Thread's worker starts at web-entry.js, which loads worker-entry.js beside it.
      ...["web-entry.ts", "worker-entry.ts"].map((file) => join(here, "../../../src/threads", file)),
    ],
    entryNames: "[name]",
    outdir: out,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: "inline",
    logLevel: "warning",
    ignoreAnnotations: true, // the suites are imported for what they register ("sideEffects": false is the library's)
    plugins: [
      {
        name: "node-test-for-browsers",
        setup(build) {
          build.onResolve({ filter: /^node:(test|assert\/strict)$/ }, (args) => ({
            path: join(here, args.path === "node:test" ? "node-test.ts" : "assert.ts"),
          }));
        },
      },
    ],
  });
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".html": "text/html",
  ".map": "application/json",
};

function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const plain = url.pathname.startsWith("/plain/");
    const path = normalize(url.pathname.replace(/^\/plain\//, "/"));
    if (!plain) {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    if (path.endsWith(".html")) {
      const entry = path.slice(1).replace(/\.html$/, ".js");
      res.setHeader("Content-Type", TYPES[".html"]!);
      res.end(
        `<!doctype html><meta charset="utf-8"><script type="module" src="/${plain ? "plain/" : ""}${entry}"></script>`,
      );
      return;
    }
    try {
      const body = readFileSync(join(dir, path));
      res.setHeader("Content-Type", TYPES[extname(path)] ?? "application/octet-stream");
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

export async function runChromium(): Promise<Result> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  const name = `chromium: ${PAGES.map((p) => p.what).join("; ")}`;
  const bin = findRuntime("chromium");
  if (bin === undefined) {
    const skipped = "/usr/bin/chromium is not installed (apt-get install chromium)";
    return { name, passed: 0, failed: process.env.CI ? 1 : 0, skipped, seconds: seconds() };
  }
  const out = mkdtempSync(join(tmpdir(), "threadkit-browser-"));
  const profile = mkdtempSync(join(tmpdir(), "threadkit-chromium-"));
  let server: Server | undefined;
  const { chromium } = await import("playwright-core");
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  let passed = 0;
  let failed = 0;
  try {
    await bundle(out);
    server = await serve(out);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: bin,
      headless: true,
      args: FLAGS,
    });
    for (const page of PAGES) {
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on("pageerror", (e) => errors.push(String(e.stack ?? e)));
      tab.on("console", (m) => {
        if ((m.type() === "error" && !m.text().includes("404")) || m.text().startsWith("FAILED"))
          console.log(`  [${page.entry}] ${m.text()}`);
      });
      await tab.goto(`${origin}/${page.plain ? "plain/" : ""}${page.entry.replace(/\.ts$/, ".html")}`);
      let results: Results | undefined;
      try {
        const handle = await tab.waitForFunction(
          () => (globalThis as { __results?: unknown }).__results,
          null,
          {
            timeout: 600_000,
            polling: 250,
          },
        );
        results = (await handle.jsonValue()) as Results;
      } catch (error) {
        console.log(`  [${page.entry}] did not finish: ${String(error)}\n${errors.join("\n")}`);
      }
      if (results === undefined || results.passed + results.failed === 0) failed++;
      else {
        passed += results.passed;
        failed += results.failed;
        console.log(`#   ${page.what}: ${results.passed} passed, ${results.failed} failed`);
      }
      await tab.close();
    }
  } finally {
    await context?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
  return { name, passed, failed, seconds: seconds() };
}
