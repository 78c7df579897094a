/**
 * Luce's Consumer.run with an Event: wait, then pop. It takes every integer there is when it wakes: a set()
 * and clear() that happen while it is not waiting (printing, say) wake nobody, and the tutorial's consumer,
 * which takes one integer per wake-up, would then fall behind.
 */
import { currentThread, type Event } from "threadkit/threads";
import { take } from "./channel.ts";

export default function consumer(integers: Int32Array, event: Event, n: number): void {
  const me = currentThread().name;
  for (let got = 0; got < n; ) {
    event.waitSync({ timeout: 500 }); // until the next set(); the timeout catches one it was too busy to see
    for (let integer = take(integers); integer !== undefined; integer = take(integers)) {
      console.log(`${integer} popped from list by ${me}`);
      got++;
    }
  }
}
