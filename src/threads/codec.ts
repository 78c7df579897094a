/**
 * How a queue item becomes bytes in shared memory and back. Three encodings, chosen per item:
 *
 * - inline: numbers, booleans, null and undefined need no bytes at all; the queue's entry holds the tag
 *   and the float64 (this is what makes a Queue of numbers move tens of millions of items a second);
 * - fast: strings and plain arrays and objects of those values, written by hand as a tag stream
 *   (~10x cheaper than v8.serialize for small objects, see shared/reference/baselines.md B11c);
 * - v8: everything else structured clone carries (Date, Map, typed arrays, errors, cycles, shared
 *   references, class instances as plain objects, ...), through `v8.serialize` (Node's structured clone
 *   serializer), reached through the runtime adapter.
 *
 * A value structured clone refuses (a function, a symbol, a SharedArrayBuffer, which shared bytes cannot
 * carry) is a TypeError, thrown before the queue is touched. The fast path gives up (and leaves the value
 * to v8) whenever it cannot promise exactly what structured clone would give: a prototype other than
 * Object's or Array's, holes or extra properties on an array, a `__proto__` key, a value reached twice.
 *
 * Encoding writes into a per-thread scratch buffer and decoding reads from one: the queue copies bytes in
 * and out of shared memory under its mutex, so the (comparatively slow) codec never runs under it.
 */
import { serializer } from "./runtime.ts";

/** Entry tags: how an item is held (the inline ones carry no bytes). */
export const TAG_NUMBER = 1;
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_NULL = 4;
export const TAG_UNDEFINED = 5;
export const TAG_FAST = 6;
export const TAG_V8 = 7;

// Tags inside a fast byte stream.
const N_FLOAT = 1;
const N_INT = 2;
const S_LATIN1 = 3;
const S_UTF16 = 4;
const V_TRUE = 5;
const V_FALSE = 6;
const V_NULL = 7;
const V_UNDEFINED = 8;
const V_ARRAY = 9;
const V_OBJECT = 10;

/** Deeper values go to v8 (which also handles cycles): keeps the fast path's recursion shallow. */
const MAX_DEPTH = 64;

/** What the last `encode` produced: the tag, and the number (inline) or the bytes in `scratch`. */
export const encoded = { tag: 0, number: 0, length: 0 };

/** The bytes of the last `encode` (valid up to `encoded.length`), and the buffer `decode` reads from. */
export let scratch = new Uint8Array(1024);
const f64Box = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Box.buffer);

let pos = 0;
const seen: object[] = [];

/** Makes sure `scratch` has room for `n` more bytes at `pos`. */
function room(n: number): void {
  if (pos + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(scratch.subarray(0, pos));
  scratch = next;
}

/** Ensures `scratch` can hold `n` bytes (before the queue copies an item's bytes out into it). */
export function reserve(n: number): Uint8Array {
  pos = 0;
  room(n);
  return scratch;
}

class Unfit {}
/** Thrown inside the fast writer to hand the whole value to v8. */
const UNFIT = new Unfit();

/**
 * Encodes `value` into `encoded` (and `scratch`). TypeError if structured clone cannot carry it; nothing
 * else has happened then.
 */
export function encode(value: unknown): void {
  switch (typeof value) {
    case "number":
      encoded.tag = TAG_NUMBER;
      encoded.number = value;
      encoded.length = 0;
      return;
    case "boolean":
      encoded.tag = value ? TAG_TRUE : TAG_FALSE;
      encoded.length = 0;
      return;
    case "undefined":
      encoded.tag = TAG_UNDEFINED;
      encoded.length = 0;
      return;
    case "string":
    case "object":
      if (value === null) {
        encoded.tag = TAG_NULL;
        encoded.length = 0;
        return;
      }
      pos = 0;
      seen.length = 0;
      try {
        write(value, 0);
        encoded.tag = TAG_FAST;
        encoded.length = pos;
        return;
      } catch (error) {
        if (error !== UNFIT) throw error; // a getter threw: structured clone would throw it too
      } finally {
        seen.length = 0;
      }
      break;
    case "function":
    case "symbol":
      throw uncloneable(`a ${typeof value}`);
  }
  encodeV8(value);
}

function encodeV8(value: unknown): void {
  if (value instanceof SharedArrayBuffer) throw uncloneable("a SharedArrayBuffer");
  if (serializer === undefined) throw uncloneable("this value without node:v8");
  let bytes: Uint8Array;
  try {
    bytes = serializer.serialize(value);
  } catch (error) {
    const message = (error as { message?: string } | null)?.message ?? String(error);
    throw uncloneable(`this value (${message})`);
  }
  pos = 0;
  room(bytes.length);
  scratch.set(bytes);
  encoded.tag = TAG_V8;
  encoded.length = bytes.length;
}

function uncloneable(what: string): TypeError {
  return new TypeError(
    `a threadkit/threads queue cannot carry ${what}: items must be structured-cloneable values`,
  );
}

function write(v: unknown, depth: number): void {
  switch (typeof v) {
    case "number":
      writeNumber(v);
      return;
    case "string":
      writeString(v);
      return;
    case "boolean":
      room(1);
      scratch[pos++] = v ? V_TRUE : V_FALSE;
      return;
    case "undefined":
      room(1);
      scratch[pos++] = V_UNDEFINED;
      return;
    case "object": {
      if (v === null) {
        room(1);
        scratch[pos++] = V_NULL;
        return;
      }
      if (depth >= MAX_DEPTH || seen.includes(v)) throw UNFIT;
      seen.push(v);
      const proto = Object.getPrototypeOf(v);
      if (proto === Array.prototype) writeArray(v as unknown[], depth);
      else if (proto === Object.prototype || proto === null) writeObject(v as Record<string, unknown>, depth);
      else throw UNFIT;
      return;
    }
    default:
      throw UNFIT; // bigint to v8; functions and symbols make v8 throw the TypeError
  }
}

function writeNumber(n: number): void {
  room(9);
  if ((n | 0) === n && !(n === 0 && 1 / n < 0)) {
    scratch[pos] = N_INT;
    scratch[pos + 1] = n;
    scratch[pos + 2] = n >> 8;
    scratch[pos + 3] = n >> 16;
    scratch[pos + 4] = n >> 24;
    pos += 5;
    return;
  }
  scratch[pos++] = N_FLOAT;
  f64Box[0] = n;
  for (let i = 0; i < 8; i++) scratch[pos + i] = f64Bytes[i] as number;
  pos += 8;
}

function writeLength(n: number): void {
  // 1 byte below 128, else 4 (high bit set on the first).
  if (n < 0x80) {
    scratch[pos++] = n;
  } else {
    scratch[pos] = 0x80 | (n >>> 24);
    scratch[pos + 1] = n >>> 16;
    scratch[pos + 2] = n >>> 8;
    scratch[pos + 3] = n;
    pos += 4;
  }
}

function writeString(s: string): void {
  const n = s.length;
  room(5 + 2 * n);
  const start = pos;
  scratch[pos++] = S_LATIN1;
  writeLength(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      // Not Latin-1: start again with two bytes a code unit (lone surrogates are kept, as structured clone does).
      pos = start;
      scratch[pos++] = S_UTF16;
      writeLength(n);
      for (let j = 0; j < n; j++) {
        const u = s.charCodeAt(j);
        scratch[pos] = u;
        scratch[pos + 1] = u >> 8;
        pos += 2;
      }
      return;
    }
    scratch[pos + i] = c;
  }
  pos += n;
}

function writeArray(a: unknown[], depth: number): void {
  const n = a.length;
  if (Object.keys(a).length !== n) throw UNFIT; // holes or extra properties
  room(5);
  scratch[pos++] = V_ARRAY;
  writeLength(n);
  for (let i = 0; i < n; i++) write(a[i], depth + 1);
}

function writeObject(o: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(o);
  const n = keys.length;
  room(5);
  scratch[pos++] = V_OBJECT;
  writeLength(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    if (key === "__proto__") throw UNFIT;
    writeString(key);
    write(o[key], depth + 1);
  }
}

// ---- decoding ---------------------------------------------------------------------------------------------

/** The value of an entry: `number` for inline numbers, else `length` bytes at the start of `scratch`. */
export function decode(tag: number, number: number, length: number): unknown {
  switch (tag) {
    case TAG_NUMBER:
      return number;
    case TAG_TRUE:
      return true;
    case TAG_FALSE:
      return false;
    case TAG_NULL:
      return null;
    case TAG_UNDEFINED:
      return undefined;
    case TAG_FAST:
      pos = 0;
      return read();
    case TAG_V8:
      return serializer!.deserialize(scratch.slice(0, length));
  }
  throw new Error(`threadkit/threads queue: corrupt entry tag ${tag}`);
}

function readLength(): number {
  const b = scratch[pos] as number;
  if (b < 0x80) {
    pos++;
    return b;
  }
  const n =
    ((b & 0x7f) << 24) |
    ((scratch[pos + 1] as number) << 16) |
    ((scratch[pos + 2] as number) << 8) |
    (scratch[pos + 3] as number);
  pos += 4;
  return n;
}

function read(): unknown {
  const t = scratch[pos++];
  switch (t) {
    case N_INT: {
      const n =
        (scratch[pos] as number) |
        ((scratch[pos + 1] as number) << 8) |
        ((scratch[pos + 2] as number) << 16) |
        ((scratch[pos + 3] as number) << 24);
      pos += 4;
      return n;
    }
    case N_FLOAT:
      for (let i = 0; i < 8; i++) f64Bytes[i] = scratch[pos + i] as number;
      pos += 8;
      return f64Box[0];
    case S_LATIN1:
    case S_UTF16:
      return readString(t);
    case V_TRUE:
      return true;
    case V_FALSE:
      return false;
    case V_NULL:
      return null;
    case V_UNDEFINED:
      return undefined;
    case V_ARRAY: {
      const n = readLength();
      const a = new Array(n);
      for (let i = 0; i < n; i++) a[i] = read();
      return a;
    }
    case V_OBJECT: {
      const n = readLength();
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const key = readString(scratch[pos++] as number);
        o[key] = read();
      }
      return o;
    }
  }
  throw new Error(`threadkit/threads queue: corrupt item byte ${t}`);
}

function readString(t: number): string {
  const n = readLength();
  if (t === S_LATIN1) {
    const end = pos + n;
    let s: string;
    if (n <= 24) {
      s = "";
      for (let i = pos; i < end; i++) s += String.fromCharCode(scratch[i] as number);
    } else {
      s = "";
      for (let i = pos; i < end; i += 4096) {
        const chunk = scratch.subarray(i, Math.min(end, i + 4096));
        s += String.fromCharCode.apply(null, chunk as unknown as number[]);
      }
    }
    pos = end;
    return s;
  }
  let s = "";
  for (let i = 0; i < n; i++) {
    s += String.fromCharCode((scratch[pos] as number) | ((scratch[pos + 1] as number) << 8));
    pos += 2;
  }
  return s;
}
