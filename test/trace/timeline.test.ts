/**
 * The timeline of a real run, end to end: `threadkit trace` (the built command) runs the README's example
 * (the main thread and a worker contending for a Lock and meeting on a Condition), and the page it writes
 * is opened in headless Chromium (Debian's, through playwright-core, launched as the browser matrix does):
 * its lanes, spans and arrows are counted, hovering shows details, it fetches nothing, and its screenshot
 * is neither empty nor blank.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { FLAGS } from "../matrix/browser.ts";
import { findRuntime } from "../matrix/runtimes.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "dist/diagnostics/cli.js");
// Inside the package, so that the example's `threadkit/threads` resolves to the package itself (dist).
const built = join(root, "build/trace-test");
const tmp = mkdtempSync(join(tmpdir(), "threadkit-trace-"));
const out = join(tmp, "timeline.html");

/** The example as JavaScript, its imports as they are. */
function compileExample(): string {
  mkdirSync(join(built, "trace"), { recursive: true });
  for (const file of ["trace.ts", "trace/consumer.ts"]) {
    const code = transformSync(readFileSync(join(root, "examples", file), "utf8"), {
      loader: "ts",
      format: "esm",
    }).code;
    writeFileSync(join(built, file.replace(/\.ts$/, ".js")), code);
  }
  return join(built, "trace.js");
}

describe("threadkit trace, rendered in Chromium", () => {
  let run: ReturnType<typeof spawnSync>;

  before(() => {
    assert.ok(existsSync(cli), "dist/diagnostics/cli.js is missing: run `npm run build` first");
    const script = compileExample();
    run = spawnSync(process.execPath, [cli, "trace", script, "-o", out], {
      encoding: "utf8",
      timeout: 120_000,
    });
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(built, { recursive: true, force: true });
  });

  it("runs the script to its end and writes one self-contained page", () => {
    assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr}`);
    assert.match(String(run.stdout), /consumer done: ready = 1/);
    assert.match(String(run.stderr), /timeline of \d+ events written to/);
    const html = readFileSync(out, "utf8");
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, "nothing to fetch");
    assert.match(html, /<svg/);
  });

  it("shows a lane per thread, waits, holds and who woke whom", async (t) => {
    const bin = findRuntime("chromium");
    if (bin === undefined) {
      if (process.env.CI) assert.fail("/usr/bin/chromium is not installed");
      t.skip("/usr/bin/chromium is not installed (apt-get install chromium)");
      return;
    }
    const { chromium } = await import("playwright-core");
    const profile = mkdtempSync(join(tmpdir(), "threadkit-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: bin,
      headless: true,
      args: FLAGS,
    });
    try {
      const tab = await context.newPage();
      const requests: string[] = [];
      tab.on("request", (r) => requests.push(r.url()));
      const errors: string[] = [];
      tab.on("pageerror", (e) => errors.push(String(e)));
      await tab.setViewportSize({ width: 1160, height: 360 });
      await tab.goto(pathToFileURL(out).href);
      const count = (selector: string) => tab.locator(selector).count();
      const lanes = await tab
        .locator(".lane")
        .evaluateAll((gs) => gs.map((g) => g.getAttribute("data-name")));
      assert.deepEqual(lanes.length, 2, `lanes: ${lanes.join(", ")}`);
      assert.ok(lanes.includes("main"));
      assert.ok(lanes.some((l) => l?.startsWith("consumer")));
      // The program makes sure of two waits: the consumer's on the condition and its wait for the lock that
      // main holds. The others (the condition's lock back, main's turn on the lock, the join) depend on how
      // fast the worker wakes, so they are not counted on.
      assert.ok((await count(".span.wait")) >= 2, `waits: ${await count(".span.wait")}`);
      assert.ok((await count(".span.hold")) >= 6, `holds: ${await count(".span.hold")}`);
      // Sure to be drawn: main hands the lock over and notifies (the program waits for both waiters to queue).
      // The condition's lock handed back and the join woken depend on timing, as above.
      const arrows = await tab
        .locator(".arrow")
        .evaluateAll((as) => as.map((a) => a.getAttribute("data-detail")));
      assert.ok(arrows.length >= 2, `arrows: ${arrows.join(" | ")}`);
      assert.ok(
        arrows.some((a) => /main hands lock .* to consumer \(its acquire\)/.test(a ?? "")),
        arrows.join(" | "),
      );
      assert.ok(
        arrows.some((a) => /main hands condition .* to consumer \(its wait\)/.test(a ?? "")),
        arrows.join(" | "),
      );
      // Every arrow ends where a wait of its waiter ends, on another lane.
      const geometry = await tab.locator(".arrow").evaluateAll((as) =>
        as.map((a) => {
          const box = (a as SVGGraphicsElement).getBBox();
          return box.width + box.height;
        }),
      );
      assert.ok(geometry.every((size) => size > 0));
      // Hovering a wait shows its details.
      await tab.locator(".span.wait").first().hover({ force: true });
      const tip = await tab.locator("#tip").textContent();
      assert.match(tip ?? "", /waits: (acquire|wait) on (lock|condition)/);
      assert.deepEqual(errors, []);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith("file:")),
        [],
        "the page fetches nothing",
      );
      const png = await tab.screenshot({ fullPage: true });
      assert.ok(png.length > 2000, `a screenshot of ${png.length} bytes`);
      const look = await tab.evaluate(async (b64) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width;
        canvas.height = img.height;
        const g = canvas.getContext("2d")!;
        g.drawImage(img, 0, 0);
        const data = g.getImageData(0, 0, img.width, img.height).data;
        const colors = new Set<number>();
        let inked = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, gr, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
          colors.add((r << 16) | (gr << 8) | b);
          if (r < 200 || gr < 200 || b < 200) inked++;
        }
        return {
          colors: colors.size,
          inked: inked / (data.length / 4),
          width: img.width,
          height: img.height,
        };
      }, png.toString("base64"));
      assert.ok(look.width >= 1000 && look.height >= 150, JSON.stringify(look));
      assert.ok(look.colors >= 8, `only ${look.colors} colors: blank? ${JSON.stringify(look)}`);
      assert.ok(look.inked > 0.01, `only ${(look.inked * 100).toFixed(2)}% inked: blank?`);
      // The orange of waits, the blue of holds and the red of arrows are all on screen.
      const has = await tab.evaluate(() =>
        ["span.wait", "span.hold", "arrow"].map((c) =>
          getComputedStyle(document.querySelector(`.${c}`)!).getPropertyValue(
            c === "arrow" ? "stroke" : "fill",
          ),
        ),
      );
      assert.deepEqual(has, ["rgb(240, 160, 32)", "rgb(47, 127, 208)", "rgb(192, 57, 43)"]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
