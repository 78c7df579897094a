/**
 * How a queue item becomes bytes in shared memory and back. Three encodings, chosen per item:
 *
 * - inline: numbers, booleans, null and undefined need no bytes at all; the queue's entry holds the tag
 *   and the float64 (this is what makes a Queue of numbers move tens of millions of items a second);
 * - fast: strings and plain arrays and objects of those values, written by hand as a tag stream
 *   (~10x cheaper than v8.serialize for small objects, measured in bench/threads/queue.ts);
 * - v8: everything else structured clone carries (Date, Map, typed arrays, errors, cycles, shared
 *   references, class instances as plain objects, ...), through V8's own structured clone serializer
 *   (node:v8's Serializer), reached through the runtime adapter;
 * - shared: a value holding a SharedArrayBuffer (or a view of one), which must arrive as the same memory,
 *   as postMessage and structuredClone carry it. Bytes cannot hold a buffer, so such an item crosses whole
 *   through ./exchange.ts, and its bytes in the queue are its ticket's slot (written by the store).
 *
 * A value structured clone refuses (a function, a symbol) is a TypeError, thrown before the queue is
 * touched. The fast path gives up (and leaves the value
 * to v8) whenever it cannot promise exactly what structured clone would give: a prototype other than
 * Object's or Array's, holes or extra properties on an array, a `__proto__` key, a value reached twice.
 * (So an object's own getters may run twice, once for each path; structured clone runs each once. A getter
 * that uses a queue of this thread while its item is written makes that put a TypeError.)
 *
 * Encoding writes into a per-thread scratch buffer and decoding reads from one: the queue copies bytes in
 * and out of shared memory under its mutex, so the (comparatively slow) codec never runs under it.
 */
import { claimItem } from "./exchange.ts";
import { serializer } from "./runtime.ts";

/** Entry tags: how an item is held (the inline ones carry no bytes). */
export const TAG_NUMBER = 1;
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_NULL = 4;
export const TAG_UNDEFINED = 5;
export const TAG_FAST = 6;
export const TAG_V8 = 7;
export const TAG_SHARED = 8;

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

/**
 * What the last `encode` produced: the tag, and the number (inline) or the bytes in `scratch`; for
 * TAG_SHARED, the value itself (`shared`), which the store posts and lets go of.
 */
export const encoded = { tag: 0, number: 0, length: 0, shared: undefined as unknown };

/**
 * Node's Buffer, when the host has it: its latin1/ucs2 slices and writes are single native calls, several
 * times cheaper than building a string a character at a time (and they keep lone surrogates, as structured
 * clone does). Without it the codec falls back to charCodeAt/fromCharCode.
 */
interface ByteString extends Uint8Array {
  latin1Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number): number;
  ucs2Write(s: string, offset: number): number;
}
const NodeBuffer = (
  globalThis as unknown as { Buffer?: { from(b: ArrayBuffer, o: number, n: number): ByteString } }
).Buffer;
const native =
  NodeBuffer !== undefined &&
  typeof (NodeBuffer.from(new ArrayBuffer(8), 0, 8) as Partial<ByteString>).latin1Slice === "function";

/** The bytes of the last `encode` (valid up to `encoded.length`), and the buffer `decode` reads from. */
export let scratch = new Uint8Array(1024);
/** `scratch` as 32-bit words (the store copies small items a word at a time). */
export let scratch32 = new Int32Array(scratch.buffer);
let bytes: ByteString | undefined = native
  ? NodeBuffer!.from(scratch.buffer as ArrayBuffer, 0, 1024)
  : undefined;
const f64Box = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Box.buffer);

/**
 * Strings at least this long go through Buffer's native writes and slices (a native call costs about as much
 * as a charCodeAt loop over 64 units, or a fromCharCode concatenation over 16).
 */
const NATIVE_WRITE_MIN = 64;
const NATIVE_READ_MIN = 16;
const NOT_LATIN1 = /[\u0100-\uffff]/;

let pos = 0;
/**
 * Counts the uses of `scratch` (each encode, each reserve): an item's getters run while the fast path
 * writes it, and one that puts or gets on any queue of this thread reuses `scratch` under it.
 */
let uses = 0;
/** Objects the encoder has met in this value (a value reached twice goes to v8, which keeps the sharing). */
const seen: object[] = [];
let seenCount = 0;
let seenSet: Set<object> | undefined;
const SEEN_LINEAR = 16;

/** Makes sure `scratch` has room for `n` more bytes at `pos`. */
function room(n: number): void {
  if (pos + n > scratch.length) grow(pos + n);
}

function grow(need: number): void {
  let size = scratch.length * 2;
  while (size < need) size *= 2;
  const next = new Uint8Array(size);
  next.set(scratch.subarray(0, pos));
  scratch = next;
  scratch32 = new Int32Array(next.buffer);
  bytes = native ? NodeBuffer!.from(next.buffer as ArrayBuffer, 0, size) : undefined;
}

/** Ensures `scratch` can hold `n` bytes (before the queue copies an item's bytes out into it). */
export function reserve(n: number): Uint8Array {
  uses++;
  pos = 0;
  room(n + 4); // whole words: the store may copy a word past the end
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
  const use = ++uses;
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
      pos = 0;
      writeString(value);
      encoded.tag = TAG_FAST;
      encoded.length = pos;
      return;
    case "object":
      if (value === null) {
        encoded.tag = TAG_NULL;
        encoded.length = 0;
        return;
      }
      pos = 0;
      try {
        write(value, 0);
        // A getter used a queue meanwhile, and `scratch` with it. Writing the value again would run its
        // getters twice (a get in one would lose an item): refused, with nothing of this put done.
        if (uses !== use) throw uncloneable("an item whose getters use a queue while it is put");
        encoded.tag = TAG_FAST;
        encoded.length = pos;
        return;
      } catch (error) {
        if (error !== UNFIT) throw error; // a getter threw: structured clone would throw it too
      } finally {
        for (let i = 0; i < seenCount; i++) seen[i] = UNFIT; // let go of the caller's objects
        seenCount = 0;
        seenSet = undefined;
      }
      break;
    case "function":
    case "symbol":
      throw uncloneable(`a ${typeof value}`);
  }
  encodeV8(value);
}

function encodeV8(value: unknown): void {
  if (serializer === undefined) throw uncloneable("this value without node:v8");
  let out: Uint8Array;
  const shared: SharedArrayBuffer[] = [];
  try {
    out = serializer.serializeShared?.(value, shared) ?? serializer.serialize(value);
  } catch (error) {
    const message = (error as { message?: string } | null)?.message ?? String(error);
    throw uncloneable(`this value (${message})`);
  }
  if (shared.length > 0) {
    pos = 0;
    room(8);
    encoded.tag = TAG_SHARED;
    encoded.length = 4; // the ticket's slot
    encoded.shared = value;
    return;
  }
  pos = 0;
  room(out.length);
  scratch.set(out);
  encoded.tag = TAG_V8;
  encoded.length = out.length;
}

function uncloneable(what: string): TypeError {
  return new TypeError(
    `a threadkit/threads queue cannot carry ${what}: items must be structured-cloneable values`,
  );
}

/** Records `o` as met; false if it was met before (in this value). */
function meet(o: object): boolean {
  if (seenSet !== undefined) {
    if (seenSet.has(o)) return false;
    seenSet.add(o);
    return true;
  }
  const n = seenCount;
  for (let i = 0; i < n; i++) if (seen[i] === o) return false;
  seen[n] = o;
  seenCount = n + 1;
  if (n + 1 > SEEN_LINEAR) seenSet = new Set(seen.slice(0, n + 1));
  return true;
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
      if (depth >= MAX_DEPTH || !meet(v)) throw UNFIT;
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
  const b = scratch;
  const p = pos;
  if ((n | 0) === n && !(n === 0 && 1 / n < 0)) {
    b[p] = N_INT;
    b[p + 1] = n;
    b[p + 2] = n >> 8;
    b[p + 3] = n >> 16;
    b[p + 4] = n >> 24;
    pos = p + 5;
    return;
  }
  b[p] = N_FLOAT;
  f64Box[0] = n;
  for (let i = 0; i < 8; i++) b[p + 1 + i] = f64Bytes[i] as number;
  pos = p + 9;
}

/** Writes a length at `p` (1 byte below 128, else 4 with the high bit set on the first); returns the end. */
function writeLength(b: Uint8Array, p: number, n: number): number {
  if (n < 0x80) {
    b[p] = n;
    return p + 1;
  }
  b[p] = 0x80 | (n >>> 24);
  b[p + 1] = n >>> 16;
  b[p + 2] = n >>> 8;
  b[p + 3] = n;
  return p + 4;
}

/** One byte a code unit while every unit is Latin-1, else two (lone surrogates kept, as structured clone does). */
function writeString(s: string): void {
  const n = s.length;
  room(5 + 2 * n);
  const b = scratch;
  const start = pos;
  const p = writeLength(b, start + 1, n);
  if (n >= NATIVE_WRITE_MIN && bytes !== undefined) {
    if (!NOT_LATIN1.test(s)) {
      b[start] = S_LATIN1;
      pos = p + bytes.latin1Write(s, p);
    } else {
      b[start] = S_UTF16;
      const q = writeLength(b, start + 1, n);
      pos = q + bytes.ucs2Write(s, q);
    }
    return;
  }
  b[start] = S_LATIN1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      b[start] = S_UTF16;
      let q = p;
      for (let j = 0; j < n; j++) {
        const u = s.charCodeAt(j);
        b[q] = u;
        b[q + 1] = u >> 8;
        q += 2;
      }
      pos = q;
      return;
    }
    b[p + i] = c;
  }
  pos = p + n;
}

function writeArray(a: unknown[], depth: number): void {
  const n = a.length;
  if (Object.keys(a).length !== n) throw UNFIT; // holes or extra properties
  room(5);
  scratch[pos] = V_ARRAY;
  pos = writeLength(scratch, pos + 1, n);
  for (let i = 0; i < n; i++) write(a[i], depth + 1);
}

/** An object is its count, its keys, then its values (so a decoder can recognise a shape it has seen). */
function writeObject(o: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(o);
  const n = keys.length;
  room(5);
  scratch[pos] = V_OBJECT;
  pos = writeLength(scratch, pos + 1, n);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    if (key === "__proto__") throw UNFIT;
    writeString(key);
  }
  for (let i = 0; i < n; i++) write(o[keys[i] as string], depth + 1);
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
      keyTop = 0;
      return read();
    case TAG_V8:
      return serializer!.deserialize(scratch.slice(0, length));
    case TAG_SHARED: {
      const got = claimItem(scratch32[0] as number);
      if (got === undefined)
        throw new Error("threadkit/threads queue: an item's shared memory did not reach this thread");
      return got.value;
    }
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
  const b = scratch;
  const t = b[pos++];
  switch (t) {
    case N_INT: {
      const p = pos;
      pos = p + 4;
      return (
        (b[p] as number) |
        ((b[p + 1] as number) << 8) |
        ((b[p + 2] as number) << 16) |
        ((b[p + 3] as number) << 24)
      );
    }
    case N_FLOAT:
      for (let i = 0; i < 8; i++) f64Bytes[i] = b[pos + i] as number;
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
    case V_OBJECT:
      return readObject();
  }
  throw new Error(`threadkit/threads queue: corrupt item byte ${t}`);
}

/**
 * Keys decoded before, by a hash of their bytes: the same key in the next item is recognised by comparing
 * bytes and not built again (nor hashed again when it becomes a property name).
 */
const KEY_SLOTS = 256;
const KEY_MAX = 32;
const keyCache: (string | undefined)[] = new Array(KEY_SLOTS).fill(undefined);
/** The keys of the objects being decoded (a stack: nested objects put theirs above). */
const keyStack: string[] = [];
let keyTop = 0;

function readKey(): string {
  const b = scratch;
  const t = b[pos++] as number;
  if (t !== S_LATIN1) return readString(t);
  const n = readLength();
  if (n === 0 || n > KEY_MAX) {
    pos -= n < 0x80 ? 1 : 4;
    return readString(t);
  }
  const p = pos;
  const h =
    (n * 31 + (b[p] as number) * 7 + (b[p + n - 1] as number) + (b[p + (n >> 1)] as number) * 3) & 255;
  const cached = keyCache[h];
  if (cached !== undefined && cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === b[p + i]) i++;
    if (i === n) {
      pos = p + n;
      return cached;
    }
  }
  const s = latin1(b, p, p + n);
  pos = p + n;
  keyCache[h] = s;
  return s;
}

/**
 * The shape of the last top-level object decoded: its keys' bytes, the keys, and (once it repeats) a template.
 * A next object whose key bytes are the same has the same keys (the encoding is prefix-free), so it skips
 * decoding them and starts as a copy of the template: V8 clones a template's map in one step, where adding
 * keys one by one walks map transitions. The template is private and its values are placeholders of the
 * kinds first seen (so V8 keeps the fields' representations): what a caller does with an object it got
 * cannot change the next one. Nested objects keep the key cache only (they would make one entry thrash).
 */
const SHAPE_BYTES_MAX = 128;
const shapeBytes = new Uint8Array(SHAPE_BYTES_MAX);
let shapeLength = 0;
let shapeCount = -1;
let shapeKeys: string[] = [];
let shapeTemplate: Record<string, unknown> | undefined;

function readObject(): Record<string, unknown> {
  const n = readLength();
  const base = keyTop;
  const start = pos;
  if (base === 0 && n === shapeCount) {
    const b = scratch;
    const len = shapeLength;
    let i = 0;
    while (i < len && b[start + i] === shapeBytes[i]) i++;
    if (i === len) {
      pos = start + len;
      const keys = shapeKeys;
      const t = shapeTemplate;
      const o: Record<string, unknown> = t !== undefined ? { ...t } : {};
      keyTop = n; // the values' objects are nested ones
      for (let k = 0; k < n; k++) o[keys[k] as string] = read();
      keyTop = 0;
      if (t === undefined) shapeTemplate = template(o, keys);
      return o;
    }
  }
  for (let i = 0; i < n; i++) keyStack[base + i] = readKey();
  keyTop = base + n;
  if (base === 0 && n > 0 && pos - start <= SHAPE_BYTES_MAX) {
    shapeBytes.set(scratch.subarray(start, pos));
    shapeLength = pos - start;
    shapeCount = n;
    shapeKeys = keyStack.slice(0, n);
    shapeTemplate = undefined;
  }
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[keyStack[base + i] as string] = read();
  keyTop = base;
  return o;
}

/** A template with the keys of `o` and placeholder values of the kinds `o` has. */
function template(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  for (const k of keys) {
    const v = o[k];
    t[k] =
      typeof v === "number"
        ? (v | 0) === v
          ? 0
          : 0.5
        : typeof v === "string"
          ? ""
          : typeof v === "boolean"
            ? false
            : v === undefined
              ? undefined
              : null;
  }
  return t;
}

function latin1(b: Uint8Array, p: number, end: number): string {
  if (end - p >= NATIVE_READ_MIN && bytes !== undefined) return bytes.latin1Slice(p, end);
  if (end - p <= 64) {
    let s = "";
    for (let i = p; i < end; i++) s += String.fromCharCode(b[i] as number);
    return s;
  }
  let s = "";
  for (let i = p; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

function readString(t: number): string {
  const n = readLength();
  const p = pos;
  if (t === S_LATIN1) {
    pos = p + n;
    return latin1(scratch, p, p + n);
  }
  pos = p + 2 * n;
  if (bytes !== undefined) return bytes.ucs2Slice(p, p + 2 * n);
  const b = scratch;
  let s = "";
  for (let i = 0; i < n; i++)
    s += String.fromCharCode((b[p + 2 * i] as number) | ((b[p + 2 * i + 1] as number) << 8));
  return s;
}
