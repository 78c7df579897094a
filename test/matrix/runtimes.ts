/**
 * Where the matrix's runtimes are: npm packages of test/runtimes/ (installed by `npm ci` as an optional
 * dependency of the dev tree, so a platform they do not fit simply lacks them) and Debian's chromium. Their
 * install scripts may not have run (npm can hold them back), so each binary is looked for where the platform
 * package unpacks it as well as where the install script would move it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const modules = fileURLToPath(new URL("../runtimes/node_modules/", import.meta.url));

const candidates: Record<string, string[]> = {
  node22: ["node22/bin/node"],
  node24: ["node24/bin/node"],
  deno: ["@deno/linux-x64-glibc/deno", "deno/deno"],
  // bun.exe is a text placeholder until bun's install script puts the binary there.
  bun: ["@oven/bun-linux-x64/bin/bun", "bun/bin/bun.exe"],
};

/** The first candidate that exists and runs `--version`, or undefined. */
export function findRuntime(name: keyof typeof candidates | "chromium"): string | undefined {
  const paths = name === "chromium" ? ["/usr/bin/chromium"] : candidates[name]!.map((p) => modules + p);
  for (const path of paths) {
    // A placeholder (bun.exe before its install script ran) is a small text file; Debian's chromium a script.
    if (!existsSync(path) || (name !== "chromium" && statSync(path).size < 100_000)) continue;
    try {
      execFileSync(path, ["--version"], { stdio: "ignore", timeout: 60_000 });
      return path;
    } catch {}
  }
  return undefined;
}
