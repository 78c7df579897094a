#!/usr/bin/env node
/**
 * `threadkit trace <script> [-o out.html] [-- args...]`: runs `script` with the recorder on in every thread
 * (./register.ts) and writes its timeline. A TypeScript script is run through tsx (which must be installed).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const USAGE = "usage: threadkit trace <script> [-o out.html] [-- args...]";

function main(argv: string[]): number {
  if (argv[0] !== "trace" || argv.length < 2) {
    process.stderr.write(`${USAGE}\n`);
    return argv[0] === "--help" || argv[0] === "-h" ? 0 : 2;
  }
  let out = "threadkit-trace.html";
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-o" || a === "--out") {
      const next = argv[++i];
      if (next === undefined) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      out = next;
    } else rest.push(a);
  }
  const [script, ...args] = rest;
  if (script === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const register = new URL("./register.js", import.meta.url).href;
  const flags = /\.(c|m)?tsx?$/.test(script) ? ["--import", "tsx"] : [];
  const child = spawnSync(process.execPath, [...flags, "--import", register, script, ...args], {
    stdio: "inherit",
    env: {
      ...process.env,
      THREADKIT_TRACE_OUT: resolve(out),
      THREADKIT_TRACE_TITLE: `threadkit trace ${script}`,
    },
  });
  if (child.error) {
    process.stderr.write(`threadkit: ${child.error.message}\n`);
    return 1;
  }
  return child.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
