/**
 * How a Thread's worker finds and loads its target module (./thread.ts): the worker's entry, tsx's hooks
 * for a TypeScript target or entry, the execArgv a worker is given, and the target's URL and label.
 */
import { fileUrl, runsTypeScript } from "./runtime.ts";

type WorkerLike = import("node:worker_threads").Worker;

/** A TypeScript module, which a Node 20 worker cannot load by itself. */
export const TS = /\.[mc]?ts$/;

/** The worker's entry: .ts when this tier runs from its sources (tests, through tsx), else the built .js. */
export const entryUrl = new URL(
  TS.test(import.meta.url) ? "./worker-entry.ts" : "./worker-entry.js",
  import.meta.url,
);

/** tsx's hooks module, where this process can resolve tsx (`--import tsx` does not reach a Node 20 worker). */
export const tsx: string | undefined = (() => {
  try {
    return import.meta.resolve("tsx/esm");
  } catch {
    return undefined; // a host that runs .ts itself may still load it
  }
})();

/**
 * How a worker loads TypeScript: through tsx's hooks, registered in the worker. They run on a loader thread of
 * their own, started when they are registered, and every import after that goes through it, so they come as
 * late as they can: when only the target is TypeScript (a program run through tsx whose thread body is a .ts
 * module), the worker loads this tier natively and registers them just before it imports the target
 * (`hooks`); when the entry itself is (this tier run from its sources), a tiny eval'd script registers them
 * first (`boot`). Measured in bench/threads/start.ts.
 */
export function loaderFor(target: string | undefined): { boot?: string; hooks?: string } {
  if (tsx === undefined || runsTypeScript) return {};
  if (TS.test(entryUrl.pathname)) {
    const hooks = `require("node:module").register(${JSON.stringify(tsx)}, { data: {} })`;
    return { boot: `${hooks}; import(${JSON.stringify(entryUrl.href)});` };
  }
  return target !== undefined && TS.test(new URL(target).pathname) ? { hooks: tsx } : {};
}

/**
 * The worker's execArgv: the process's (which a worker inherits), less tsx's `--import` (`--import tsx`, or
 * the tsx CLI's loader URL). That preload costs a worker about as much as the rest of its start, and gives a
 * Node 20 worker nothing: tsx registers its hooks on the main thread only. A thread whose module is
 * TypeScript gets them from `loaderFor` instead. Undefined (inherit) when there is nothing to leave out.
 */
function execArgvFor(): string[] | undefined {
  const argv = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv ?? [];
  const tsxImport = (value: string | undefined) =>
    value !== undefined && /^(tsx(\/esm)?|.*[\\/]node_modules[\\/]tsx[\\/]dist[\\/]loader\.mjs)$/.test(value);
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--import" && tsxImport(argv[i + 1])) i++;
    else if (!(arg.startsWith("--import=") && tsxImport(arg.slice("--import=".length)))) kept.push(arg);
  }
  return kept.length === argv.length ? undefined : kept.filter((arg) => !refused.has(arg));
}

/** Flags of the process a worker refuses when they are given rather than inherited (V8's, as --expose-gc). */
const refused = new Set<string>();

/**
 * Makes a worker with `execArgvFor()`. Flags it refuses (named in the error, which comes before anything is
 * sent) are left out from then on; if it still refuses, the worker inherits the process's execArgv.
 */
export function withExecArgv(make: (execArgv: string[] | undefined) => WorkerLike): WorkerLike {
  for (let tries = 0; tries < 2; tries++) {
    try {
      return make(execArgvFor());
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw error;
      const flags = /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(", ") ?? [];
      for (const flag of flags) refused.add(flag);
    }
  }
  return make(undefined);
}

export function resolveTarget(target: string | URL): string {
  if (target instanceof URL) return target.href;
  if (typeof target !== "string" || target === "") {
    throw new TypeError("target must be a module: a URL, a file URL string or a path");
  }
  // A scheme of two letters or more ("file:", "data:", "https:"); one letter is a Windows drive.
  if (/^[a-z][a-z\d+.-]+:/i.test(target)) return new URL(target).href;
  const href = fileUrl(target);
  if (href === undefined) throw new TypeError("this runtime cannot resolve a path: give target as a URL");
  return href;
}

/** "name" for a named export, else the module's file name without extension ("" if it has none). */
export function targetLabel(href: string, exportName: string): string {
  if (exportName !== "default") return exportName;
  const url = new URL(href);
  if (url.protocol === "data:") return "";
  const file = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  return file.replace(/\.[^.]*$/, "");
}
