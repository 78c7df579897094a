/**
 * CPython contenders: each sample is one run of ./baselines.py, which times `ops` operations of one case
 * inside Python (interpreter start-up is not counted) and prints the nanoseconds. Spawning per sample keeps
 * Python interleaved with the JavaScript contenders like any other. Without python3 the rows say so.
 */
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Contender } from "../harness.ts";

const script = fileURLToPath(new URL("./baselines.py", import.meta.url));
let found: string | undefined | null = null;

/** The python3 version, or undefined when there is none. */
export function pythonVersion(): string | undefined {
  if (found === null) {
    const r = spawnSync("python3", ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" });
    found = r.status === 0 ? `CPython ${r.stdout.trim()}` : undefined;
  }
  return found;
}

export function python(name: string, pyCase: string, ops?: number, note?: string): Contender {
  const version = pythonVersion();
  return {
    name,
    kind: "python",
    ...(ops !== undefined ? { ops } : {}),
    ...(note !== undefined ? { note } : {}),
    ...(version === undefined ? { unavailable: "python3 not found on PATH" } : {}),
    run: (n) =>
      new Promise((resolve, reject) => {
        execFile("python3", [script, pyCase, String(n)], { encoding: "utf8" }, (error, stdout, stderr) => {
          if (error) reject(new Error(`python3 ${pyCase}: ${stderr || error.message}`));
          else resolve(Number(stdout.trim()));
        });
      }),
  };
}
