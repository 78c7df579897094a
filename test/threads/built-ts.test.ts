/**
 * The built tier (dist, as installed) running a TypeScript target in a program run through tsx: the worker
 * loads the tier natively, then registers tsx's hooks for the target, and the target's own import of the
 * tier is the copy already loaded. The worker does not inherit tsx's `--import` (it would load tsx for
 * nothing), and a flag a worker refuses to be given (`--expose-gc`) does not stop it from starting.
 * Needs `npm run build` (which `npm test` runs first).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./built-ts-child.ts", import.meta.url));
const built = new URL("../../dist/threads/worker-entry.js", import.meta.url);

describe("the built threads tier with a TypeScript target", () => {
  it("runs the .ts target through tsx, with one copy of the tier and without tsx's --import in the worker", async () => {
    assert.ok(existsSync(built), "dist/ is missing: run `npm run build` first");
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        const args = ["--expose-gc", "--import", "tsx", "--no-warnings", child];
        execFile(process.execPath, args, { timeout: 180_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { name: "ts", sameTier: true, execArgv: ["--no-warnings"] });
  });
});
