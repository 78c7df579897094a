/** Luce's Producer.run: appends a random integer under the condition, notifies, then sleeps (`n` times). */
import { setTimeout as sleep } from "node:timers/promises";
import { type Condition, currentThread } from "threadkit/threads";
import { append, type Form } from "./list.ts";

export default async function producer(integers: Int32Array, condition: Condition, n: number, form: Form) {
  const me = currentThread().name;
  for (let i = 0; i < n; i++) {
    const integer = Math.floor(Math.random() * 257);
    if (form === "acquire/wait/notify/release") {
      condition.acquireSync();
      console.log(`condition acquired by ${me}`);
      append(integers, integer);
      console.log(`${integer} appended to list by ${me}`);
      console.log(`condition notified by ${me}`);
      condition.notify();
      console.log(`condition released by ${me}`);
      condition.release();
    } else {
      using _held = await condition.hold(); // Python: with self.condition:
      console.log(`condition acquired by ${me}`);
      append(integers, integer);
      console.log(`${integer} appended to list by ${me}`);
      console.log(`condition notified by ${me}`);
      condition.notify();
      console.log(`condition released by ${me}`);
    }
    await sleep(100); // Python: time.sleep(1)
  }
}
