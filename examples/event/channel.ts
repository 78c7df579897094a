/**
 * The list of the Event example, in shared memory: one producer appends, one consumer takes. Python's list
 * needs no lock for that (the GIL makes append and pop atomic); shared memory does not have a GIL, so the
 * two sides count what they appended and took with Atomics: word 0 counts appends, word 1 takes.
 */
export function newChannel(capacity: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (capacity + 2)));
}

/** Appends `value` (the one producer only); the item is written before the count that makes it visible. */
export function append(channel: Int32Array, value: number): void {
  const appended = Atomics.load(channel, 0);
  channel[2 + appended] = value;
  Atomics.store(channel, 0, appended + 1);
}

/** The oldest integer not taken yet (the one consumer only), or undefined if there is none. */
export function take(channel: Int32Array): number | undefined {
  const taken = Atomics.load(channel, 1);
  if (taken === Atomics.load(channel, 0)) return undefined;
  const value = channel[2 + taken];
  Atomics.store(channel, 1, taken + 1);
  return value;
}
