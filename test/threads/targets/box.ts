/**
 * A shared mailbox for what a target reports back (JSON): the target writes it before it returns, the test
 * reads it after join(), so the join orders the two. Word 0 is the byte length, the text follows.
 */
export function box(bytes = 1 << 16): Int32Array {
  return new Int32Array(new SharedArrayBuffer(bytes));
}

export function put(box: Int32Array, value: unknown): void {
  const text = new TextEncoder().encode(JSON.stringify(value));
  new Uint8Array(box.buffer, 4).set(text);
  Atomics.store(box, 0, text.length);
}

export function take<T = Record<string, unknown>>(box: Int32Array): T {
  const length = Atomics.load(box, 0);
  if (length === 0) throw new Error("the target reported nothing");
  return JSON.parse(new TextDecoder().decode(new Uint8Array(box.buffer, 4, length).slice())) as T;
}
