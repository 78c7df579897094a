/**
 * What `Thread.start()` can tell the user before a worker exists, in words that say what to do: a
 * TypeScript target that nothing in this process can load on a worker, and args that cannot be cloned
 * because they hold a primitive of the local tier, which lives on one event loop.
 */
import { RuntimeError } from "../api/errors.ts";
import { isPrimitive } from "./handle.ts";

interface ProcessLike {
  versions?: Record<string, string | undefined>;
  features?: { typescript?: string | false };
  execArgv?: string[];
  env?: Record<string, string | undefined>;
}

/** Flags a worker inherits that may load TypeScript: a loader or hook, or Node's own type stripping. */
const LOADER =
  /^(--import|--loader|--experimental-loader|--require|-r|--experimental-(strip|transform)-types)(=|$)/;

/**
 * Throws when the TypeScript module `href` cannot load on a worker: no tsx for threadkit to register (the
 * caller knows), no type stripping in Node, and no flag that could bring a loader. Deno and Bun run
 * TypeScript themselves.
 */
export function checkLoadable(href: string): void {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (proc === undefined || proc.versions?.bun !== undefined || proc.versions?.deno !== undefined) return;
  if (proc.features?.typescript) return;
  const flags = [...(proc.execArgv ?? []), ...(proc.env?.NODE_OPTIONS ?? "").split(/\s+/)];
  if (flags.some((flag) => LOADER.test(flag))) return;
  throw new RuntimeError(
    `cannot run the TypeScript module ${href} on a worker: nothing in this process loads .ts there. ` +
      "Run the program through tsx (node --import tsx, with tsx installed), on a Node that strips types " +
      "(22.18+, or 22.6+ with --experimental-strip-types), or give the Thread the compiled .js module",
  );
}

/** The local tier's primitives, by class name, with a method that tells them from a look-alike. */
const LOCAL: Record<string, string> = {
  Lock: "tryAcquire",
  RLock: "tryAcquire",
  Condition: "notify",
  Semaphore: "tryAcquire",
  BoundedSemaphore: "tryAcquire",
  Event: "isSet",
  Barrier: "abort",
  Queue: "getNowait",
  LifoQueue: "getNowait",
  PriorityQueue: "getNowait",
  SimpleQueue: "getNowait",
};

/** The TypeError for args the worker could not take, naming a local-tier primitive found in them. */
export function cloneError(args: unknown[], error: Error): TypeError {
  const found = findLocal(args, "args", new Set());
  const why =
    found === undefined
      ? error.message
      : `${found.path} is a ${found.name} from "threadkit", which works on one event loop only; a primitive ` +
        `shared with a Thread must come from "threadkit/threads" (import { ${found.name} } from "threadkit/threads")`;
  return new TypeError(`Thread args must be structured-cloneable: ${why}`, { cause: error });
}

function findLocal(
  value: unknown,
  path: string,
  seen: Set<object>,
): { path: string; name: string } | undefined {
  if (typeof value !== "object" || value === null || seen.has(value) || isPrimitive(value)) return undefined;
  seen.add(value);
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name === "string" && Object.hasOwn(LOCAL, name)) {
    if (typeof (value as Record<string, unknown>)[LOCAL[name]!] === "function") return { path, name };
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v])
    : value instanceof Map
      ? [...value].map(([k, v]) => [`${path}.get(${JSON.stringify(k) ?? String(k)})`, v])
      : value instanceof Set
        ? [...value].map((v) => [`${path} (a Set)`, v])
        : Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null
          ? Object.keys(value).map((k) => [`${path}.${k}`, (value as Record<string, unknown>)[k]])
          : [];
  for (const [at, v] of entries) {
    const hit = findLocal(v, at, seen);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
