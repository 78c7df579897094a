/** Luce's Consumer.run: takes the condition, waits while the list is empty, pops an integer (`n` times). */
import { type Condition, currentThread } from "threadkit/threads";
import { type Form, pop, size } from "./list.ts";

export default async function consumer(integers: Int32Array, condition: Condition, n: number, form: Form) {
  const me = currentThread().name;
  for (let i = 0; i < n; i++) {
    if (form === "acquire/wait/notify/release") {
      condition.acquireSync();
      console.log(`condition acquired by ${me}`);
      for (;;) {
        const integer = pop(integers);
        if (integer !== undefined) {
          console.log(`${integer} popped from list by ${me}`);
          break;
        }
        console.log(`condition wait by ${me}`);
        condition.waitSync(); // lets go of the lock while it waits, holds it again when it returns
      }
      console.log(`condition released by ${me}`);
      condition.release();
    } else {
      using _held = await condition.hold();
      console.log(`condition acquired by ${me}`);
      if (size(integers) === 0) console.log(`condition wait by ${me}`);
      await condition.waitFor(() => size(integers) > 0); // the tutorial's inner loop, in one call
      console.log(`${pop(integers)} popped from list by ${me}`);
      console.log(`condition released by ${me}`);
    }
  }
}
