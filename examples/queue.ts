/**
 * Laurent Luce's Queue producer/consumer: the producer puts random integers; consumers get them and call
 * taskDone() for each; the main thread's queue.join() returns once every integer put has been processed.
 * Two consumers share the queue: Thread-2 with the tutorial's explicit get() / taskDone() loop, Thread-3 with
 * `for await`, which calls taskDone() itself. shutdown() then ends both. Real worker threads
 * (threadkit/threads); the bodies are in ./queue/. Six integers.
 */
import { Queue, Thread } from "threadkit/threads";

const n = 6;
const queue = new Queue<number>();
const threads = [
  new Thread({ target: new URL("./queue/producer.js", import.meta.url), args: [queue, n], name: "Thread-1" }),
  new Thread({ target: new URL("./queue/consumer.js", import.meta.url), args: [queue], name: "Thread-2" }),
  new Thread({
    target: new URL("./queue/consumer.js", import.meta.url),
    export: "iterating",
    args: [queue],
    name: "Thread-3",
  }),
];
for (const t of threads) t.start();

await threads[0]?.join(); // every integer is put
await queue.join(); // and every one has been processed: taskDone() was called for each
console.log(`queue.join() returned: all ${n} integers processed`);
queue.shutdown(); // the consumers' gets end: the explicit loop's with QueueShutDown, `for await` by ending
for (const t of threads) await t.join();
if (threads.some((t) => t.error !== undefined)) process.exit(1);
