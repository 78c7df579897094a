/** Targets of ./daemon-child.ts: a thread that never ends, and one that ends after 500 ms. */
import "./booted.ts";
import type { Event } from "../../../src/threads/index.ts";

export function forever(started: Event): void {
  started.set();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // nobody ever notifies
}

export function lingers(started: Event): void {
  started.set();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  console.log("worker done");
}
