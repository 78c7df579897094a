/**
 * The wire format of a Thread's `args` (./thread.ts): structured-cloned, except this tier's primitives (at
 * the top level and inside arrays and plain objects), which travel as marked handles (./handle.ts) and
 * arrive as the same, live primitives.
 */
import { fromHandle, isHandle, isPrimitive, toHandle } from "./handle.ts";

/** Primitives become marked handles, inside arrays and plain objects too; `seen` keeps cycles and sharing. */
const MARK = "threadkit:primitive";

export function wire(value: unknown, seen: Map<object, unknown> = new Map()): unknown {
  if (isPrimitive(value)) return { [MARK]: toHandle(value) };
  if (!isContainer(value)) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const copy = (Array.isArray(value) ? new Array(value.length) : {}) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) {
    copy[key] = wire((value as Record<string, unknown>)[key], seen);
  }
  return copy;
}

export function unwire(value: unknown, seen: Map<object, unknown> = new Map()): unknown {
  if (!isContainer(value)) return value;
  const mark = (value as Record<string, unknown>)[MARK];
  if (mark !== undefined && isHandle(mark) && Object.keys(value).length === 1) return fromHandle(mark);
  const known = seen.get(value);
  if (known !== undefined) return known;
  seen.set(value, value);
  for (const key of Object.keys(value)) {
    (value as Record<string, unknown>)[key] = unwire((value as Record<string, unknown>)[key], seen);
  }
  return value; // the received copy is ours to change in place
}

function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
