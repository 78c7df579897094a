import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./keepalive-child.ts", import.meta.url));

function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", child, ...args],
      { timeout: 180_000 }, // only a hang: a loaded machine can take long to start a process and its worker
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

describe("threads keep-alive", () => {
  it("a pending async acquire keeps the process alive until a worker releases the lock", async () => {
    const { code, stdout, stderr } = await run();
    assert.equal(code, 0, stderr);
    const match = /acquired after (\d+) ms/.exec(stdout);
    assert.ok(match, `expected the acquire to complete, got: ${stdout}`);
    assert.ok(Number(match[1]) >= 50, `waited for the worker's release (${match[1]} ms)`);
  });

  it("control: a bare Atomics.waitAsync does not (Node exits with the wait unsettled)", async () => {
    const { code, stdout } = await run("raw");
    assert.equal(stdout, "");
    assert.equal(code, 13, "exit code of an unsettled top-level await");
  });
});
