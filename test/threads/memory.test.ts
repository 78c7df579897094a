/**
 * Memory is given back: a dropped Barrier with an action is collected (its listener does not hold it), and a
 * drained queue's shared storage shrinks. Measured in a child process with --expose-gc, as the bytes held
 * after collecting (./memory-child.ts), against bounds far from both outcomes (a leak keeps the peak).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./memory-child.ts", import.meta.url));

function measure<T = { kept: number; peak: number }>(scenario: string): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", child, scenario],
      { timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as T);
      },
    );
  });
}

const MB = 2 ** 20;

describe("threads memory", () => {
  it("10,000 dropped Barriers with an action are collected", async () => {
    const { kept, peak } = await measure("barriers");
    assert.ok(peak > 8 * MB, `the barriers were there: ${(peak / MB).toFixed(1)} MB at the peak`);
    assert.ok(kept < 2 * MB, `${(kept / MB).toFixed(1)} MB kept after dropping them`);
  });

  it("a round that needs the action of a collected home object breaks (BrokenBarrierError), never waits for it", async () => {
    const result = await measure<{ outcomes: string[]; ran: number }>("orphan");
    assert.deepEqual(result, { outcomes: ["BrokenBarrierError", "BrokenBarrierError"], ran: 0 });
  });

  it("a queue drained of 200,000 items of 1 KB gives its storage back while it lives", async () => {
    const { kept, peak } = await measure("queue");
    assert.ok(peak > 150 * MB, `the items were there: ${(peak / MB).toFixed(1)} MB at the peak`);
    assert.ok(kept < 48 * MB, `${(kept / MB).toFixed(1)} MB kept after the drain`);
  });
});
