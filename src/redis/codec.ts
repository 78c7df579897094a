/**
 * What a queue carries across processes: JSON values (null, booleans, finite numbers, strings, arrays and
 * plain objects of them), checked before anything is sent. A PriorityQueue also sends a sort key whose
 * byte order is the default order of the local tier (numbers, strings by UTF-16 code unit, arrays element
 * by element, other values inside arrays skipped), so the server can keep the items sorted.
 */

export function encodeItem(item: unknown): string {
  check(item, 0);
  return JSON.stringify(item);
}

export function decodeItem<T>(payload: string): T {
  return JSON.parse(payload) as T;
}

function check(value: unknown, depth: number): void {
  if (depth > 100) throw new TypeError("a queue item nested more than 100 levels deep cannot be carried");
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new TypeError(`a queue on Redis cannot carry ${value}: it carries JSON values`);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) check(v, depth + 1);
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const v of Object.values(value as object)) check(v, depth + 1);
      return;
    }
  }
  throw new TypeError(
    `a queue on Redis cannot carry ${describe(value)}: it carries JSON values (null, booleans, finite numbers, strings, arrays and plain objects)`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null) return `a ${value.constructor?.name ?? "object"}`;
  return typeof value === "function"
    ? "a function"
    : String(typeof value === "symbol" ? "a symbol" : typeof value);
}

const view = new DataView(new ArrayBuffer(8));

/** An order-preserving key of a priority: tag 'n', 's' or 'a' first (one tag per queue, checked by the server). */
export function sortKey(value: unknown, nested = false): string {
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new TypeError("PriorityQueue cannot order NaN");
    view.setFloat64(0, value === 0 ? 0 : value);
    let hi = view.getUint32(0);
    let lo = view.getUint32(4);
    if (hi & 0x80000000) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else hi = (hi | 0x80000000) >>> 0;
    return `n${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`;
  }
  if (typeof value === "string") {
    let key = "s";
    for (let i = 0; i < value.length; i++) key += value.charCodeAt(i).toString(16).padStart(4, "0");
    return `${key}!`;
  }
  if (Array.isArray(value)) return `a${value.map((v) => sortKey(v, true)).join("")}!`;
  if (nested) return "o";
  throw new TypeError(
    `PriorityQueue cannot order ${describe(value)}: use numbers, strings or arrays of them (a compare function cannot travel between processes)`,
  );
}
