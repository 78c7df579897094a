/**
 * Laurent Luce's Condition producer/consumer: the producer appends random integers to a list and notifies;
 * the consumer waits until the list has one and pops it. First with the explicit acquire / wait / notify /
 * release of the tutorial, then with `using` and waitFor(), its `with condition:` form. Real worker threads
 * (threadkit/threads); the bodies are in ./condition/, the list is shared memory. Four integers a round.
 */
import { Condition, Thread } from "threadkit/threads";
import { type Form, newList } from "./condition/list.ts";

const n = 4;
for (const form of ["acquire/wait/notify/release", "using and waitFor()"] satisfies Form[]) {
  console.log(`--- ${form}`);
  const integers = newList(n);
  const condition = new Condition();
  const producer = new Thread({
    target: new URL("./condition/producer.js", import.meta.url),
    args: [integers, condition, n, form],
    name: "Thread-1",
  });
  const consumer = new Thread({
    target: new URL("./condition/consumer.js", import.meta.url),
    args: [integers, condition, n, form],
    name: "Thread-2",
  });
  producer.start();
  consumer.start();
  await producer.join();
  await consumer.join();
  if (producer.error !== undefined || consumer.error !== undefined) process.exit(1);
  console.log("");
}
