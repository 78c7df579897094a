/** A list of integers in shared memory, for the condition and event examples: word 0 is its length. */

/** How a round of the Condition example takes the lock and waits. */
export type Form = "acquire/wait/notify/release" | "using and waitFor()";

export function newList(capacity: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (capacity + 1)));
}

export function append(list: Int32Array, value: number): void {
  const length = list[0] as number;
  list[length + 1] = value;
  list[0] = length + 1;
}

/** The last integer, removed (Python's list.pop()); undefined when the list is empty. */
export function pop(list: Int32Array): number | undefined {
  const length = list[0] as number;
  if (length === 0) return undefined;
  list[0] = length - 1;
  return list[length];
}

export function size(list: Int32Array): number {
  return list[0] as number;
}
