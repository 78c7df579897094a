/**
 * ./queue.ts across processes, on the Redis tier (threadkit/redis): a producer process puts random
 * integers; two consumer processes get them and call taskDone() for each, Process-2 with the tutorial's
 * explicit get() / taskDone() loop, Process-3 with `for await`, which calls taskDone() itself. They share the
 * Queue by name on one redis-server: REDIS_URL's, or one this program starts on a loopback port and stops at
 * the end. This process's queue.join() returns once every integer put has been processed; shutdown() then
 * ends both consumers. The bodies are in ./queue-redis/. Six integers.
 */
import { randomUUID } from "node:crypto";
import { Queue } from "threadkit/redis";
import { withRedis } from "./redis/processes.ts";

const n = 6;
const producer = new URL("./queue-redis/producer.js", import.meta.url);
const consumer = new URL("./queue-redis/consumer.js", import.meta.url);

await withRedis(async (start) => {
  const name = `queue:${randomUUID()}`; // a new queue for each run, also on a shared server
  const queue = new Queue<number>(0, { name });
  const consumers = Promise.all([
    start("Process-2", consumer, [name, "Process-2", "get"]),
    start("Process-3", consumer, [name, "Process-3", "for-await"]),
  ]);
  await start("Process-1", producer, [name, "Process-1", String(n)]); // every integer is put
  await queue.join(); // and every one has been processed: taskDone() was called for each
  console.log(`queue.join() returned: all ${n} integers processed`);
  await queue.shutdown(); // the consumers' gets end: the explicit loop's with QueueShutDown, `for await` by ending
  await consumers;
});
