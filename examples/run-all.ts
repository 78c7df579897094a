/** Runs every example in this folder, one process each; fails if any fails. */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const examples = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run-all.ts");
let failed = 0;
for (const file of examples.sort()) {
  console.log(`\n=== ${file}`);
  try {
    execFileSync(process.execPath, ["--import", "tsx", join(here, file)], {
      stdio: "inherit",
      timeout: 60_000,
    });
  } catch {
    failed++;
    console.log(`!!! ${file} failed`);
  }
}
console.log(`\n${examples.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
