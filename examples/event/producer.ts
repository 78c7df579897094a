/** Luce's Producer.run with an Event: append, set, clear at once, sleep (`n` times). */
import { setTimeout as sleep } from "node:timers/promises";
import { currentThread, type Event } from "threadkit/threads";
import { append } from "./channel.ts";

export default async function producer(integers: Int32Array, event: Event, n: number): Promise<void> {
  const me = currentThread().name;
  for (let i = 0; i < n; i++) {
    const integer = Math.floor(Math.random() * 257);
    append(integers, integer);
    console.log(`${integer} appended to list by ${me}`);
    console.log(`event set by ${me}`);
    event.set();
    event.clear();
    console.log(`event cleared by ${me}`);
    await sleep(100); // Python: time.sleep(1)
  }
}
